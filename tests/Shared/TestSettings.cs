namespace OrleansWeCom.Testing;

/// <summary>
/// The configuration a test host or benchmark gives <c>AddWeComSilo</c> / <c>AddWeComGateway</c>: a SQLite file of its
/// own, free ports, and no embedded emulator, demo tenant or MQTT broker unless it asks for them. A stand-in container
/// host is configured for the options' sake; hosts replace <c>IContainerHosts</c> with a fake of their own.
/// </summary>
public static class TestSettings
{
    public static Dictionary<string, string?> For(string databaseFile, string clusterId) => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:ConnectionString"] = $"Data Source={databaseFile}",
        ["Orleans:ClusterId"] = clusterId,
        ["Orleans:ServiceId"] = clusterId,
        ["Orleans:SiloPort"] = TestPorts.Next().ToString(),
        ["Orleans:GatewayPort"] = TestPorts.Next().ToString(),
        ["Emulator:Enabled"] = "false",
        ["Demo:Enabled"] = "false",
        ["Mqtt:Enabled"] = "false",
        ["ContainerHosts:Hosts:0:Name"] = "stand-in",
        ["ContainerHosts:Hosts:0:BaseUrl"] = "http://127.0.0.1:9/",
        ["ContainerHosts:Hosts:0:ApiKey"] = "stand-in",
    };

    /// <summary>Deletes the SQLite file and its siblings (the stores' files, write-ahead logs).</summary>
    public static void DeleteDatabase(string databaseFile)
    {
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(databaseFile)!, Path.GetFileNameWithoutExtension(databaseFile) + "*"))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }
}
