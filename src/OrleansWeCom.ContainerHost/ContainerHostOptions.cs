namespace OrleansWeCom.ContainerHost;

/// <summary>The container hosts this cluster uses: configuration section <c>ContainerHosts</c>.</summary>
public sealed class ContainerHostsOptions
{
    public const string SectionName = "ContainerHosts";

    /// <summary>The hosts, in order of preference when they have equal room.</summary>
    public List<ContainerHostOptions> Hosts { get; set; } = [];

    /// <summary>How long a host's container count is trusted before <c>inner/user/wx/list</c> is asked again.</summary>
    public TimeSpan ContainerCountTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a picked host counts the new container on top of its listing (time to scan the QR code).</summary>
    public TimeSpan PendingContainerWindow { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>One container host and how hard we try when calling it.</summary>
public sealed class ContainerHostOptions
{
    /// <summary>Our name for the host; unique, letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>http://{host}</c>; <c>/gnapi/open</c> is appended unless already there.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Sent as the <c>apikey</c> header.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>How many containers the host can hold.</summary>
    public int Capacity { get; set; } = 50;

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound of a call including its retries and back-offs.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Retries after the first attempt (0 disables retrying).</summary>
    public int RetryCount { get; set; } = 3;

    /// <summary>Median first back-off; it grows exponentially with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of one back-off.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Share of failed calls within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed within <see cref="CircuitSamplingDuration"/> before the ratio counts (at least 2).</summary>
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>Window of the failure ratio (at least 500 ms).</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit rejects calls before a probe is let through (at least 500 ms).</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The openAPI root, <c>http://{host}/gnapi/open</c>, without a trailing slash.</summary>
    public Uri OpenApiBase()
    {
        var url = BaseUrl.TrimEnd('/');
        if (!url.EndsWith("/gnapi/open", StringComparison.OrdinalIgnoreCase))
            url += "/gnapi/open";
        return new Uri(url, UriKind.Absolute);
    }
}
