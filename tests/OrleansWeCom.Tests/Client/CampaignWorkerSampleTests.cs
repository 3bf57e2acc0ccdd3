using System.Diagnostics;
using OrleansWeCom.Tests.EndToEnd;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.Client;

/// <summary>The sample internal service in samples/CampaignWorker, run as its own process against a host process.</summary>
[Collection(HostProcessCollection.Sending)]
public sealed class CampaignWorkerSampleTests
{
    [Fact]
    public async Task The_campaign_worker_logs_in_sends_and_sees_every_send_delivered()
    {
        var gatewayPort = OrleansWeCom.Testing.TestPorts.Next();
        await using var product = await Product.StartAsync(settings: new Dictionary<string, string> { ["Orleans:GatewayPort"] = gatewayPort.ToString() });

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { SampleDll(), $"--Orleans:GatewayPort={gatewayPort}", $"--Emulator:Url={product.World.BaseAddress.ToString().TrimEnd('/')}",
                     "--Accounts=3", "--PerAccount=3", "--TimeoutMinutes=2" })
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var worker = Process.Start(info)!;
        var output = worker.StandardOutput.ReadToEndAsync();
        var errors = worker.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await worker.WaitForExitAsync(timeout.Token);

        var text = await output + await errors;
        Assert.True(worker.ExitCode == 0, $"the worker exited with {worker.ExitCode}:\n{text}");
        Assert.Contains("campaign: 9 accepted of 9", text);
        Assert.Contains("campaign delivered: 9/9", text);
    }

    private static string SampleDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansWeCom.sln"))) dir = dir.Parent;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(dir?.FullName ?? ".", "samples", "CampaignWorker", "bin", configuration, "net10.0", "CampaignWorker.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the tests first: they build the sample", dll);
    }
}
