using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Directory;

/// <summary>How an account's directory keeps what its host told it (section <c>WeCom:Directory</c>).</summary>
public sealed class DirectoryOptions
{
    public const string SectionName = "WeCom:Directory";

    /// <summary>How long a kept list or profile is served before the host is asked again (a callback that changes it drops it sooner).</summary>
    public TimeSpan RefreshAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most answers one account keeps; the least recently used go first.</summary>
    public int MaxEntries { get; set; } = 1000;

    /// <summary>Most characters one account keeps over all its answers.</summary>
    public long MaxChars { get; set; } = 8 * 1024 * 1024;

    /// <summary>An answer longer than this is passed on and not kept.</summary>
    public int MaxEntryChars { get; set; } = 2 * 1024 * 1024;

    /// <summary>Id conversions one account may ask of WeCom per <see cref="IdConversionWindow"/> (the <c>…FromDb</c> ones and kept answers are free).</summary>
    public int IdConversionsPerWindow { get; set; } = 1000;

    public TimeSpan IdConversionWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Files received that one account remembers for download through our API; the oldest are forgotten first.</summary>
    public int MaxMediaFiles { get; set; } = 5000;

    /// <summary>How long received files stay downloadable through our API.</summary>
    public TimeSpan MediaRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the list of received files is written, when it changed.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class DirectoryOptionsValidator : IValidateOptions<DirectoryOptions>
{
    public ValidateOptionsResult Validate(string? name, DirectoryOptions o)
    {
        var errors = new List<string>();
        if (o.RefreshAfter <= TimeSpan.Zero) errors.Add("WeCom:Directory:RefreshAfter must be positive");
        if (o.MaxEntries < 1) errors.Add("WeCom:Directory:MaxEntries must be at least 1");
        if (o.MaxEntryChars < 1 || o.MaxChars < o.MaxEntryChars) errors.Add("WeCom:Directory:MaxChars must be at least MaxEntryChars, which must be positive");
        if (o.IdConversionsPerWindow < 1 || o.IdConversionWindow <= TimeSpan.Zero) errors.Add("WeCom:Directory:IdConversionsPerWindow and IdConversionWindow must be positive");
        if (o.MaxMediaFiles < 1 || o.MediaRetention <= TimeSpan.Zero) errors.Add("WeCom:Directory:MaxMediaFiles and MediaRetention must be positive");
        if (o.FlushInterval <= TimeSpan.Zero) errors.Add("WeCom:Directory:FlushInterval must be positive");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
