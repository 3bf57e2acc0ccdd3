using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Storage;

// `--no-emulator` is a bare flag; the configuration system wants key=value.
var noEmulator = args.Contains("--no-emulator");
args = args.Where(a => a != "--no-emulator").ToArray();
// Configuration files are read once: a reload watcher on the content root would also wake on every SQLite write (the
// embedded database lives below it). Operators restart to reconfigure.
args = ["--hostBuilder:reloadConfigOnChange=false", .. args];

var builder = WebApplication.CreateBuilder(args);
var config = builder.Configuration;
if (noEmulator) config["Emulator:Enabled"] = "false";
if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(config["URLS"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");

var storage = builder.AddWeComSilo();
var generatedAdminKey = builder.AddWeComGateway();
var app = builder.Build();
app.MapWeCom();

var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansWeCom");
app.Lifetime.ApplicationStarted.Register(() =>
{
    log.LogInformation("OrleansWeCom tenant API on {Urls}", string.Join(", ", app.Urls));
    log.LogInformation("Storage: {Provider} at {Location}", storage.Provider,
        storage.Provider == StorageProvider.Sqlite ? SqliteFile.PathOf(StorageConnection.ConnectionString(storage)) : "PostgreSQL (connection string configured)");
    log.LogInformation("Container host(s): {Hosts}", config.GetValue("Emulator:Enabled", true) ? $"embedded emulator on {config["Emulator:Url"] ?? "http://127.0.0.1:5090"}" : "configured in ContainerHosts");
    if (generatedAdminKey is not null)
        log.LogWarning("Operator apikey for /admin: {AdminKey}", generatedAdminKey);
});
app.Run();

public partial class Program;
