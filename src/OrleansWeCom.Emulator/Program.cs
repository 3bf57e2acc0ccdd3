// Standalone container-host emulator: dotnet run --project src/OrleansWeCom.Emulator [--urls http://127.0.0.1:5090]
using OrleansWeCom.Emulator;

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var options = new EmulatorOptions();
configuration.GetSection(EmulatorOptions.SectionName).Bind(options);
if (Environment.GetEnvironmentVariable("EMULATOR_APIKEY") is { Length: > 0 } apiKey)
{
    options.ApiKey = apiKey;
}

var url = (configuration["urls"] ?? "http://127.0.0.1:5090").Split(';')[0];
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    // Stop gracefully: dispose the host (Kestrel, callback queues, temp files) before the process ends.
    context.Cancel = true;
    stop.Cancel();
});

await using var host = await EmulatorHost.StartAsync(options, url, stop.Token);
Console.WriteLine($"WeCom container-host emulator listening on {host.BaseAddress} (apikey {(string.IsNullOrEmpty(options.ApiKey) ? "not required" : "required")})");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
