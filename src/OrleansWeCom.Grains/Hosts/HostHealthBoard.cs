namespace OrleansWeCom.Grains.Hosts;

/// <summary>
/// The latest circuit report of each silo, forgotten once older than <paramref name="expiry"/> (a silo that left stops
/// reporting). Bounded by <see cref="MaxSilos"/>.
/// </summary>
public sealed class HostHealthBoard(TimeProvider time, TimeSpan expiry)
{
    public const int MaxSilos = 1_000;

    private readonly Dictionary<string, SiloHostHealth> _reports = new(StringComparer.Ordinal);

    public void Report(SiloHostHealth report)
    {
        Expire();
        if (_reports.Count >= MaxSilos && !_reports.ContainsKey(report.Silo)) return;
        _reports[report.Silo] = report with { ReportedAt = time.GetUtcNow() };
    }

    public IReadOnlyList<SiloHostHealth> Current()
    {
        Expire();
        return [.. _reports.Values.OrderBy(r => r.Silo, StringComparer.Ordinal)];
    }

    private void Expire()
    {
        var now = time.GetUtcNow();
        foreach (var silo in _reports.Where(r => now - r.Value.ReportedAt > expiry).Select(r => r.Key).ToList()) _reports.Remove(silo);
    }
}

/// <summary>Keeps the board in memory: after a restart the silos' next reports fill it again within one interval.</summary>
public sealed class HostHealthBoardGrain(TimeProvider time) : Grain, IHostHealthBoardGrain
{
    /// <summary>Silos report this often; a report three intervals old is dropped.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly HostHealthBoard _board = new(time, ReportInterval * 3);

    public Task ReportAsync(SiloHostHealth report)
    {
        _board.Report(report);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SiloHostHealth>> GetAsync() => Task.FromResult(_board.Current());
}
