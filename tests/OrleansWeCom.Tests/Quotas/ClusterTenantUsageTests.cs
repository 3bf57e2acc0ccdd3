using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Grains.Quotas;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Quotas;

/// <summary>
/// Finding 9 on fake time: a tenant's request rate and queued bytes are limited across processes, each process admitting
/// on its own figures plus the others' as exchanged once a second through the tenant's usage table.
/// </summary>
public sealed class ClusterTenantUsageTests
{
    private const string T = "t";
    private static readonly TenantUsageOptions Usage = new() { SyncInterval = TimeSpan.FromSeconds(1), Expiry = TimeSpan.FromSeconds(5), MinRateShare = 0.1 };

    private sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue { get; } = value;
        public T Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    /// <summary>One process: its gateway's quotas and its silo's ledger over its own view of the cluster.</summary>
    private sealed class Process(string name, FakeTimeProvider time, int rate)
    {
        public ClusterTenantUsage Usage { get; } = new(ClusterTenantUsageTests.Usage, time);
        public TenantQuotas Quotas => _quotas ??= new TenantQuotas(new Monitor<QuotaOptions>(new QuotaOptions { RequestsPerSecond = rate }), time, Usage);
        public TenantQueuedBytes Bytes => _bytes ??= new TenantQueuedBytes(Usage);
        private TenantQuotas? _quotas;
        private TenantQueuedBytes? _bytes;

        public int Attempt(int requests) => Enumerable.Range(0, requests).Count(_ => Quotas.TryTakeRequest(new TenantId(T)));

        public void Sync(TenantUsageTable table)
        {
            foreach (var (tenant, report) in Usage.TakeReports(Bytes.Of))
                Usage.Apply(tenant, table.Exchange(name, report));
        }
    }

    private static FakeTimeProvider OnASecond() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Two_gateways_share_a_tenants_rate_by_demand_and_together_stay_within_it_after_one_exchange()
    {
        var time = OnASecond();
        var table = new TenantUsageTable(Usage, time);
        var a = new Process("a", time, rate: 100);
        var b = new Process("b", time, rate: 100);
        var seconds = new List<(int A, int B)>();
        for (var s = 0; s < 6; s++)
        {
            seconds.Add((a.Attempt(300), b.Attempt(100)));
            time.Advance(TimeSpan.FromSeconds(1));
            a.Sync(table);
            b.Sync(table);
        }

        // The first second neither knows the other (each admits its whole rate); the next, only b has heard of a.
        Assert.Equal((100, 100), seconds[0]);
        Assert.Equal(125, seconds[1].A + seconds[1].B);
        // From then on the rate is split 3:1 as the demand is, and the two never admit more than it together.
        Assert.All(seconds.Skip(2), s => Assert.Equal((75, 25), s));

        // a falls silent and b's demand grows: b's share grows as a's averaged demand fades, and b has the whole rate
        // once a has had no request for the expiry (5 s) and reported itself idle.
        var shifted = new List<int>();
        for (var s = 0; s < 7; s++)
        {
            shifted.Add(b.Attempt(300));
            time.Advance(TimeSpan.FromSeconds(1));
            a.Sync(table);
            b.Sync(table);
        }

        Assert.Equal(25, shifted[0]);
        Assert.Equal(shifted.Order(), shifted);
        Assert.True(shifted[1] > 50, string.Join(",", shifted));
        Assert.Equal(100, shifted[^1]);
    }

    [Fact]
    public void A_quiet_gateway_keeps_a_floor_share_beside_a_busy_one()
    {
        var time = OnASecond();
        var table = new TenantUsageTable(Usage, time);
        var busy = new Process("busy", time, rate: 100);
        var quiet = new Process("quiet", time, rate: 100);
        for (var s = 0; s < 3; s++)
        {
            busy.Attempt(1000);
            quiet.Attempt(1);
            time.Advance(TimeSpan.FromSeconds(1));
            busy.Sync(table);
            quiet.Sync(table);
        }

        // Weights 1000 and the floor of 10 (a tenth of the rate): 99 and 1 of the 100.
        Assert.Equal(99, busy.Attempt(1000));
        Assert.Equal(1, quiet.Attempt(1));
    }

    [Fact]
    public void Queued_bytes_of_other_silos_count_for_the_cap_until_their_silo_stops_reporting()
    {
        var time = OnASecond();
        var table = new TenantUsageTable(Usage, time);
        var first = new Process("first", time, rate: 0);
        var second = new Process("second", time, rate: 0);
        first.Bytes.Add(T, 200_000);
        second.Bytes.Add(T, 10_000);
        time.Advance(Usage.SyncInterval);
        first.Sync(table);
        second.Sync(table);
        first.Sync(table);

        Assert.Equal(210_000, first.Bytes.InCluster(T));
        Assert.Equal(210_000, second.Bytes.InCluster(T));
        Assert.Equal(10_000, second.Bytes.Of(T));
        Assert.Equal(0, second.Bytes.InCluster("other tenant"));

        // The first silo is lost (no more reports): its bytes count until the expiry, then no longer.
        for (var s = 1; s < 5; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            second.Sync(table);
        }

        Assert.Equal(210_000, second.Bytes.InCluster(T));
        time.Advance(TimeSpan.FromSeconds(1));
        second.Sync(table);
        Assert.Equal(10_000, second.Bytes.InCluster(T));
    }

    [Fact]
    public void Only_tenants_active_here_are_reported_and_an_idle_one_leaves_after_one_idle_report_and_the_expiry()
    {
        var time = OnASecond();
        var table = new TenantUsageTable(Usage, time);
        var silo = new Process("silo", time, rate: 0);
        Assert.Empty(silo.Usage.TakeReports(silo.Bytes.Of));

        silo.Bytes.Add(T, 50_000);
        time.Advance(Usage.SyncInterval);
        silo.Sync(table);
        Assert.Equal(1, table.Members);

        // Settled: one idle report takes the silo out of the table; the tenant is no longer reported after the expiry.
        silo.Bytes.Add(T, -50_000);
        time.Advance(Usage.SyncInterval);
        Assert.Equal(new TenantUsageReport(0, 0), Assert.Single(silo.Usage.TakeReports(silo.Bytes.Of)).Report);
        table.Exchange("silo", new TenantUsageReport(0, 0));
        Assert.Equal(0, table.Members);
        time.Advance(Usage.Expiry);
        Assert.Empty(silo.Usage.TakeReports(silo.Bytes.Of));
        Assert.Equal(0, silo.Usage.ActiveTenants);
    }
}
