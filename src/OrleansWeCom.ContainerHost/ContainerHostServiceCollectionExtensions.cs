using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using OrleansWeCom.ContainerHost.Registry;
using OrleansWeCom.ContainerHost.Resilience;

namespace OrleansWeCom.ContainerHost;

public static class ContainerHostServiceCollectionExtensions
{
    private const string HttpClientPrefix = "OrleansWeCom.ContainerHost:";

    /// <summary>
    /// Adds the container hosts of a configuration section (normally <c>ContainerHosts</c>): either an object with
    /// <c>Hosts</c> and the registry settings, or just the list of hosts.
    /// </summary>
    public static IServiceCollection AddContainerHosts(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var children = section.GetChildren().ToList();
        var isList = children.Count > 0 && children.All(c => int.TryParse(c.Key, out _));
        return services.AddContainerHostsCore(builder =>
        {
            if (isList)
                builder.Configure(options => section.Bind(options.Hosts));
            else
                builder.Bind(section);
        });
    }

    /// <summary>Adds the container hosts configured in code.</summary>
    public static IServiceCollection AddContainerHosts(this IServiceCollection services, Action<ContainerHostsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddContainerHostsCore(builder => builder.Configure(configure));
    }

    private static IServiceCollection AddContainerHostsCore(this IServiceCollection services, Action<OptionsBuilder<ContainerHostsOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        configure(services.AddOptions<ContainerHostsOptions>().ValidateOnStart());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ContainerHostsOptions>, ContainerHostsOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<HttpClientFactoryOptions>, ConfigureContainerHostHttpClients>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HostPipelineProvider>();
        services.TryAddSingleton<IContainerHostRegistry, ContainerHostRegistry>();
        services.TryAddSingleton<ContainerHostAdapter>();
        services.TryAddSingleton<IContainerHosts>(sp => sp.GetRequiredService<ContainerHostAdapter>());
        services.TryAddSingleton<IContainerHostSender>(sp => sp.GetRequiredService<ContainerHostAdapter>());
        services.TryAddSingleton<IContainerHostDirectory>(sp => sp.GetRequiredService<ContainerHostAdapter>());
        services.TryAddSingleton<IContainerHostHealth, ContainerHostHealthView>();
        services.AddHttpClient();
        return services;
    }

    /// <summary>The name of the host's client in <see cref="System.Net.Http.IHttpClientFactory"/>.</summary>
    public static string HttpClientName(string hostName) => HttpClientPrefix + hostName;

    /// <summary>
    /// Configures every client named <see cref="HttpClientName"/> on first use, so hosts need not be known when the
    /// services are registered (they may come from configuration bound later).
    /// </summary>
    private sealed class ConfigureContainerHostHttpClients(HostPipelineProvider pipelines) : IConfigureNamedOptions<HttpClientFactoryOptions>
    {
        public void Configure(string? name, HttpClientFactoryOptions options)
        {
            if (name is null || !name.StartsWith(HttpClientPrefix, StringComparison.Ordinal))
                return;

            var host = pipelines.Find(name[HttpClientPrefix.Length..]);
            var hostPipelines = pipelines.Get(host.Name);
            options.HttpClientActions.Add(client =>
            {
                client.BaseAddress = host.OpenApiBase();
                // The pipeline's timeouts govern; this is only a backstop.
                client.Timeout = host.TotalTimeout + TimeSpan.FromSeconds(5);
                client.DefaultRequestHeaders.Remove("apikey");
                client.DefaultRequestHeaders.TryAddWithoutValidation("apikey", host.ApiKey);
            });
            options.HttpMessageHandlerBuilderActions.Add(builder => builder.AdditionalHandlers.Add(new ContainerHostHandler(hostPipelines)));
        }

        public void Configure(HttpClientFactoryOptions options) => Configure(Options.DefaultName, options);
    }
}
