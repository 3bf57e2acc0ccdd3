using Refit;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>The Refit settings of <see cref="IContainerHostApi"/>: the seed's JSON, and our exception unwrapped.</summary>
public static class RefitSettingsFactory
{
    public static RefitSettings Settings { get; } = Create();

    private static RefitSettings Create()
    {
        var settings = new RefitSettings(new SystemTextJsonContentSerializer(ContainerHostJson.Options));
        var wrap = settings.TransportExceptionFactory;
        // The handler already speaks ContainerHostException; Refit would otherwise wrap it in ApiRequestException.
        settings.TransportExceptionFactory = (request, exception, cancellationToken) =>
            exception is ContainerHostException ? exception : wrap(request, exception, cancellationToken);
        return settings;
    }
}
