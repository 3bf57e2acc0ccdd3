using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Hosts;

namespace OrleansWeCom.Tests.Host;

/// <summary>The cluster's board of host circuits on fake time: each silo's latest view, silos that stopped reporting forgotten.</summary>
public sealed class HostHealthBoardTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    private SiloHostHealth Report(string silo, string circuit) =>
        new(silo, _time.GetUtcNow(), [new ContainerHostHealth("h1", "http://h1/", 50, circuit)]);

    [Fact]
    public void Each_silos_latest_view_is_kept_until_it_stops_reporting_and_the_worst_circuit_wins()
    {
        var board = new HostHealthBoard(_time, TimeSpan.FromSeconds(30));
        board.Report(Report("silo-b", "closed"));
        board.Report(Report("silo-a", "closed"));
        _time.Advance(TimeSpan.FromSeconds(5));
        board.Report(Report("silo-a", "open")); // silo a's breaker opened: its new view replaces the old one

        var current = board.Current();
        Assert.Equal(["silo-a", "silo-b"], current.Select(r => r.Silo));
        Assert.Equal("open", current[0].Hosts.Single().Circuit);
        Assert.Equal("open", HostCircuits.Worst(current.SelectMany(r => r.Hosts).Select(h => h.Circuit)));

        // Silo b left: 30 s after its last report it is no longer shown, while silo a keeps reporting.
        _time.Advance(TimeSpan.FromSeconds(26));
        board.Report(Report("silo-a", "halfopen"));
        Assert.Equal("silo-a", Assert.Single(board.Current()).Silo);
        Assert.Equal("isolated", HostCircuits.Worst(["closed", "isolated", "open", "halfopen"]));
        Assert.Equal("closed", HostCircuits.Worst(["closed"]));
    }

    [Fact]
    public void The_board_holds_a_bounded_number_of_silos()
    {
        var board = new HostHealthBoard(_time, TimeSpan.FromSeconds(30));
        for (var i = 0; i < HostHealthBoard.MaxSilos + 10; i++) board.Report(Report($"silo-{i:D4}", "closed"));
        Assert.Equal(HostHealthBoard.MaxSilos, board.Current().Count);
    }
}
