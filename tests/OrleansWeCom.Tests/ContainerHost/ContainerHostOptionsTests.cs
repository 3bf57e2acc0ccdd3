using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.ContainerHost;
using OrleansWeCom.ContainerHost.Registry;

namespace OrleansWeCom.Tests.ContainerHost;

public sealed class ContainerHostOptionsTests
{
    private static ServiceProvider FromConfiguration(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection().AddLogging().AddContainerHosts(configuration.GetSection("ContainerHosts")).BuildServiceProvider();
    }

    [Fact]
    public void Section_with_Hosts_binds_every_key()
    {
        using var services = FromConfiguration(new()
        {
            ["ContainerHosts:ContainerCountTtl"] = "00:00:05",
            ["ContainerHosts:Hosts:0:Name"] = "sh-1",
            ["ContainerHosts:Hosts:0:BaseUrl"] = "http://10.0.0.5",
            ["ContainerHosts:Hosts:0:ApiKey"] = "k",
            ["ContainerHosts:Hosts:0:Capacity"] = "30",
            ["ContainerHosts:Hosts:0:Timeout"] = "00:00:03",
            ["ContainerHosts:Hosts:0:RetryCount"] = "5",
            ["ContainerHosts:Hosts:0:CircuitBreakDuration"] = "00:00:20",
        });

        var options = services.GetRequiredService<IOptions<ContainerHostsOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(5), options.ContainerCountTtl);
        var host = Assert.Single(options.Hosts);
        Assert.Equal(("sh-1", 30, TimeSpan.FromSeconds(3), 5, TimeSpan.FromSeconds(20)), (host.Name, host.Capacity, host.Timeout, host.RetryCount, host.CircuitBreakDuration));
        Assert.Equal(new Uri("http://10.0.0.5/gnapi/open"), services.GetRequiredService<IContainerHostRegistry>().Hosts[0].OpenApiBase);
    }

    [Fact]
    public void Section_may_be_the_list_of_hosts_itself()
    {
        using var services = FromConfiguration(new()
        {
            ["ContainerHosts:0:Name"] = "a",
            ["ContainerHosts:0:BaseUrl"] = "http://a",
            ["ContainerHosts:0:ApiKey"] = "k",
            ["ContainerHosts:1:Name"] = "b",
            ["ContainerHosts:1:BaseUrl"] = "http://b",
            ["ContainerHosts:1:ApiKey"] = "k",
        });

        Assert.Equal(["a", "b"], services.GetRequiredService<IContainerHostRegistry>().Hosts.Select(h => h.Name));
    }

    [Fact]
    public void Invalid_hosts_fail_validation_with_every_reason()
    {
        using var services = new ServiceCollection().AddLogging().AddContainerHosts(o => o.Hosts.AddRange(
        [
            new ContainerHostOptions { Name = "a", BaseUrl = "ftp://x", ApiKey = "", Capacity = 0 },
            new ContainerHostOptions { Name = "A", BaseUrl = "http://x", ApiKey = "k", CircuitBreakDuration = TimeSpan.FromMilliseconds(10) },
        ])).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ContainerHostsOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains("BaseUrl"));
        Assert.Contains(error.Failures, f => f.Contains("ApiKey"));
        Assert.Contains(error.Failures, f => f.Contains("Capacity"));
        Assert.Contains(error.Failures, f => f.Contains("configured twice"));
        Assert.Contains(error.Failures, f => f.Contains("CircuitBreakDuration"));
    }

    [Fact]
    public void No_hosts_fail_validation()
    {
        using var services = new ServiceCollection().AddLogging().AddContainerHosts(_ => { }).BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ContainerHostsOptions>>().Value);
    }
}
