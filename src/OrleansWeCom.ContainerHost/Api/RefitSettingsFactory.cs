using System.Reflection;
using Refit;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>The Refit settings of <see cref="IContainerHostApi"/>: the seed's JSON, and our exception unwrapped.</summary>
public static class RefitSettingsFactory
{
    /// <summary>The request option naming the configured host a request goes to.</summary>
    internal static readonly HttpRequestOptionsKey<string> HostNameKey = new("OrleansWeCom.ContainerHost.HostName");

    public static RefitSettings Settings { get; } = Create();

    private static RefitSettings Create()
    {
        var settings = new RefitSettings(new SystemTextJsonContentSerializer(ContainerHostJson.Options), new UrlParameterFormatter());
        var wrap = settings.TransportExceptionFactory;
        // The handler already speaks ContainerHostException; Refit would otherwise wrap it in ApiRequestException.
        settings.TransportExceptionFactory = (request, exception, cancellationToken) =>
            exception is ContainerHostException ? exception : wrap(request, exception, cancellationToken);
        // A 2xx envelope whose data does not fit the DTO is the host's fault, not a Refit detail.
        settings.DeserializationExceptionFactory = (response, exception) => ValueTask.FromResult<Exception?>(new ContainerHostException(
            ContainerHostErrorKind.InvalidResponse,
            $"Container host answered {response.RequestMessage?.RequestUri?.AbsolutePath} with data that does not match the seed: {exception.Message}",
            hostName: response.RequestMessage?.Options.TryGetValue(HostNameKey, out var host) == true ? host : null,
            path: response.RequestMessage?.RequestUri?.AbsolutePath,
            httpStatus: response.StatusCode,
            innerException: exception));
        return settings;
    }

    /// <summary>Writes booleans in queries as JSON does (<c>IsOnline=false</c>), not as .NET does (<c>False</c>).</summary>
    private sealed class UrlParameterFormatter : IUrlParameterFormatter
    {
        private readonly DefaultUrlParameterFormatter _default = new();

        public string? Format(object? value, ICustomAttributeProvider attributeProvider, Type type) =>
            value is bool b ? (b ? "true" : "false") : _default.Format(value, attributeProvider, type);
    }
}
