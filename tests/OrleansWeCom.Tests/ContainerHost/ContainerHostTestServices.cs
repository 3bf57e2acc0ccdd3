using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansWeCom.ContainerHost;
using OrleansWeCom.ContainerHost.Registry;

namespace OrleansWeCom.Tests.ContainerHost;

/// <summary>Builds the container-host services the way the silo does, with tiny back-offs.</summary>
public static class ContainerHostTestServices
{
    public static ContainerHostOptions HostAt(string name, string baseUrl, Action<ContainerHostOptions>? configure = null)
    {
        var options = new ContainerHostOptions
        {
            Name = name,
            BaseUrl = baseUrl,
            ApiKey = "key-" + name,
            Capacity = 10,
            // Generous: the first request of a run pays for JIT and connection set-up while other test classes start
            // silos (2 s once timed out there). Tests about timeouts set their own.
            Timeout = TimeSpan.FromSeconds(15),
            TotalTimeout = TimeSpan.FromSeconds(30),
            RetryCount = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(2),
            RetryMaxDelay = TimeSpan.FromMilliseconds(10),
            // Out of the way unless a test is about the breaker.
            CircuitMinimumThroughput = 1000,
        };
        configure?.Invoke(options);
        return options;
    }

    public static ServiceProvider Build(TimeProvider? timeProvider = null, Action<IServiceCollection>? extra = null, params ContainerHostOptions[] hosts)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (timeProvider is not null)
            services.TryAddSingleton(timeProvider);
        services.AddContainerHosts(options =>
        {
            options.Hosts.AddRange(hosts);
            options.ContainerCountTtl = TimeSpan.FromMinutes(1);
        });
        extra?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static IContainerHostRegistry Registry(this ServiceProvider services) => services.GetRequiredService<IContainerHostRegistry>();

    /// <summary>A loopback URL on which nothing listens: connecting is refused.</summary>
    public static string RefusingUrl() => $"http://127.0.0.1:{OrleansWeCom.Testing.TestPorts.Next()}";
}
