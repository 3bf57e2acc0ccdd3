using Microsoft.Extensions.Configuration;

namespace OrleansWeCom.Tests.Storage;

public sealed class StorageOptionsTests
{
    private static StorageOptions Bind(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>(s.Key, s.Value)))
            .Build()
            .GetSection(StorageOptions.SectionName)
            .Get<StorageOptions>() ?? new StorageOptions();

    [Fact]
    public void Empty_section_is_the_embedded_run_on_a_SQLite_file_that_applies_its_schema()
    {
        var options = Bind();

        Assert.Equal(StorageProvider.Sqlite, options.Provider);
        Assert.Equal("Data Source=./data/orleanswecom.db", options.EffectiveConnectionString);
        Assert.True(options.ShouldApplySchema);
        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void PostgreSql_needs_a_connection_string_and_applies_no_schema_unless_asked()
    {
        var missing = Bind(("Storage:Provider", "PostgreSql"));
        var result = new StorageOptionsValidator().Validate(null, missing);
        Assert.True(result.Failed);
        Assert.Contains("Storage:ConnectionString is required when Storage:Provider is PostgreSql", result.FailureMessage);

        var configured = Bind(("Storage:Provider", "PostgreSql"), ("Storage:ConnectionString", "Host=db;Database=wecom"));
        Assert.True(new StorageOptionsValidator().Validate(null, configured).Succeeded);
        Assert.False(configured.ShouldApplySchema);
        Assert.True(Bind(("Storage:Provider", "PostgreSql"), ("Storage:ApplySchema", "true")).ShouldApplySchema);
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=wecom;Mode=Memory")]
    [InlineData("Data Source")]
    public void Sqlite_without_a_file_is_refused(string connectionString)
    {
        var options = new StorageOptions { ConnectionString = connectionString };

        Assert.True(new StorageOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void Sqlite_connection_string_gets_a_busy_timeout_unless_it_sets_one()
    {
        Assert.Contains("Default Timeout=30", StorageConnection.ConnectionString(new StorageOptions()));
        Assert.Contains("Default Timeout=5", StorageConnection.ConnectionString(new StorageOptions { ConnectionString = "Data Source=x.db;Default Timeout=5" }));
        Assert.Equal("System.Data.SQLite", StorageConnection.Invariant(new StorageOptions()));
    }

    [Fact]
    public void A_relative_data_source_resolves_against_the_base_path_and_an_absolute_one_stays()
    {
        var root = Path.Combine(Path.GetTempPath(), "wecom-root");

        var relative = StorageConnection.ConnectionString(new StorageOptions { BasePath = root });
        var absolute = StorageConnection.ConnectionString(new StorageOptions { BasePath = root, ConnectionString = "Data Source=/srv/wecom/x.db" });

        Assert.Equal(Path.Combine(root, "data", "orleanswecom.db"), SqliteFile.PathOf(relative));
        Assert.Equal("/srv/wecom/x.db", SqliteFile.PathOf(absolute));
        Assert.Equal(Path.Combine(root, "data", "orleanswecom-outbox.db"),
            SqliteFile.PathOf(StorageDatabases.ConnectionString(new StorageOptions { BasePath = root }, StorageComponent.Outbox)));
    }

    [Fact]
    public void The_host_puts_its_data_under_its_content_root_whatever_the_current_directory()
    {
        var contentRoot = Directory.CreateTempSubdirectory("wecom-content-").FullName;
        try
        {
            Assert.NotEqual(contentRoot, Directory.GetCurrentDirectory());
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings
            {
                ContentRootPath = contentRoot,
                DisableDefaults = true,
            });

            var storage = OrleansWeCom.Host.Hosting.WeComHosting.AddWeComSiloServices(builder);

            Assert.Equal(Path.Combine(contentRoot, "data", "orleanswecom.db"), SqliteFile.PathOf(StorageConnection.ConnectionString(storage)));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }
}
