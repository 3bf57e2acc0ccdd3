using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace OrleansWeCom.Testing.Chaos;

/// <summary>
/// The invariants of a chaos run, read after it drained: from the emulator's send logs (what reached WeCom), the
/// balancer's acknowledgements (what the host was told we hold) and the tenant's event log in PostgreSQL (what the
/// tenant got).
/// </summary>
public sealed class ChaosReport
{
    public int Accounts { get; private init; }
    public int Kills { get; private init; }
    public int GracefulRestarts { get; private init; }
    public int SendsAccepted { get; private init; }
    public int SendsAtHost { get; private init; }
    public int DuplicateSends { get; private init; }
    /// <summary>Accepted sends the host never got, by the status the tenant API gives them (only "unknown" is allowed).</summary>
    public Dictionary<string, int> SendsNotAtHost { get; private init; } = [];
    public int PacingRefusals { get; private init; }
    public double MinIntervalMs { get; private init; }
    public int IntervalsUnder500 { get; private init; }
    public int CorpBudget { get; private init; }
    public int WorstCorpWindow { get; private init; }
    public long CallbacksAcked { get; private init; }
    public long InboundAcked { get; private init; }
    public long HostRepeats { get; private init; }
    public int InboundMissing { get; private init; }
    public int InboundDuplicated { get; private init; }
    public int OrderViolations { get; private init; }
    public int EchoesMissing { get; private init; }
    /// <summary>The callback inbox at the end: rows by outcome, "pending" for those never marked processed.</summary>
    public Dictionary<string, long> Inbox { get; private init; } = [];
    /// <summary>Of <see cref="EchoesMissing"/>: echoes in the event log that carry the host's send id instead of ours.</summary>
    public int EchoesUnmatched { get; private init; }
    /// <summary>Per fault: seconds from the kill (or stop) to the last account's first send at the host afterwards.</summary>
    public List<(ChaosFault Fault, double ResumeSeconds)> Resumes { get; private init; } = [];
    public TimeSpan Elapsed { get; private init; }

    public double WorstResumeSeconds => Resumes.Count == 0 ? 0 : Resumes.Max(r => r.ResumeSeconds);

    public static async Task<ChaosReport> ReadAsync(ChaosCluster cluster, ChaosRun run)
    {
        var options = cluster.Options;
        var sent = new List<(ChaosAccount Account, string Content, DateTimeOffset At, int Error)>();
        foreach (var account in run.Accounts)
            foreach (var s in (await cluster.World.GetFromJsonAsync<JsonElement>($"/emulator/containers/{account.HostName}/sent")).EnumerateArray())
                sent.Add((account, s.GetProperty("content").GetString() ?? "", DateTimeOffset.Parse(s.GetProperty("receivedAt").GetString()!), s.GetProperty("errorCode").GetInt32()));

        var ok = sent.Where(s => s.Error == 0).ToList();
        var duplicates = ok.GroupBy(s => s.Content).Sum(g => g.Count() - 1);
        var gaps = sent.GroupBy(s => s.Account.Index)
            .SelectMany(g => g.Select(s => s.At).Order().ToList() is var t ? t.Zip(t.Skip(1), (a, b) => (b - a).TotalMilliseconds) : []).ToList();
        var worstWindow = ok.GroupBy(s => s.Account.Corp).Select(g => MaxInWindow(g.Select(s => s.At).Order().ToList(), options.CorpWindow)).DefaultIfEmpty().Max();

        // Accepted sends the host never got: each must say "unknown" (its silo died in the call's moment) to the tenant.
        var atHost = ok.Select(s => s.Content).ToHashSet();
        var notAtHost = new Dictionary<string, int>();
        foreach (var missing in run.Accepted.Values.Where(a => !atHost.Contains(a.Content)))
        {
            var (status, body) = await cluster.TenantAsync(HttpMethod.Get, $"/gnapi/open/msg/status?msgId={missing.MsgId}");
            var state = status == HttpStatusCode.OK ? body.GetProperty("data").GetProperty("status").GetString()! : $"http {(int)status}";
            notAtHost[state] = notAtHost.GetValueOrDefault(state) + 1;
        }

        // Resume: for every account, its first send at the host after the fault; the slowest account's wait counts.
        var resumes = run.Faults.Select(f => (f, run.Accounts.Select(a => ok.Where(s => s.Account.Index == a.Index && s.At > f.At).Select(s => s.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min())
            .Max() is var last && last == DateTimeOffset.MaxValue ? double.PositiveInfinity : (last - f.At).TotalSeconds)).ToList();

        var acked = cluster.Balancer.Acked.Values.ToList();
        var inbound = acked.Where(a => a.Content?.StartsWith("ci|", StringComparison.Ordinal) == true).ToList();
        var delivered = run.Accepted.Values.Where(a => atHost.Contains(a.Content)).Select(a => a.MsgId).ToHashSet();
        var events = await SettledEventsAsync(cluster, inbound.Select(a => a.MsgId).ToHashSet(), delivered);
        var eventIds = events.Select(e => e.MsgId).ToHashSet();
        var inboundEvents = events.Where(e => e.Content?.StartsWith("ci|", StringComparison.Ordinal) == true).ToList();
        var ourMsgIds = events.Where(e => e.SendMsgId is not null).Select(e => e.SendMsgId!).ToHashSet();
        var withoutEcho = run.Accepted.Values.Where(a => atHost.Contains(a.Content) && !ourMsgIds.Contains(a.MsgId)).ToList();
        // An echo in the log under the host's id only: applied, but not tied to the send the tenant knows.
        var echoContents = events.Where(e => e.Content?.StartsWith("co|", StringComparison.Ordinal) == true).Select(e => e.Content!).ToHashSet();

        return new ChaosReport
        {
            Accounts = run.Accounts.Count,
            Kills = run.Faults.Count(f => !f.Graceful),
            GracefulRestarts = run.Faults.Count(f => f.Graceful),
            SendsAccepted = run.Accepted.Count,
            SendsAtHost = atHost.Count(c => c.StartsWith("co|", StringComparison.Ordinal)),
            DuplicateSends = duplicates,
            SendsNotAtHost = notAtHost,
            PacingRefusals = sent.Count(s => s.Error != 0),
            MinIntervalMs = gaps.DefaultIfEmpty(double.NaN).Min(),
            IntervalsUnder500 = gaps.Count(g => g < 500),
            CorpBudget = options.CorpBudget,
            WorstCorpWindow = worstWindow,
            CallbacksAcked = acked.Count,
            InboundAcked = inbound.Count,
            HostRepeats = cluster.Balancer.RepeatedAcks,
            InboundMissing = inbound.Count(a => !eventIds.Contains(a.MsgId)),
            InboundDuplicated = inboundEvents.GroupBy(e => e.Content).Sum(g => g.Count() - 1),
            OrderViolations = CountOrderViolations(inboundEvents),
            EchoesMissing = withoutEcho.Count,
            EchoesUnmatched = withoutEcho.Count(a => echoContents.Contains(a.Content)),
            Resumes = resumes,
            Inbox = await InboxAsync(cluster),
            Elapsed = run.Elapsed,
        };
    }

    /// <summary>Every invariant broken, one line each; empty when the run kept them all.</summary>
    public List<string> Violations(TimeSpan resumeLimit)
    {
        var v = new List<string>();
        if (DuplicateSends > 0) v.Add($"{DuplicateSends} sends reached the host twice");
        if (SendsNotAtHost.Any(s => s.Key != "unknown")) v.Add($"accepted sends never at the host: {Describe(SendsNotAtHost)}");
        if (PacingRefusals > 0 || IntervalsUnder500 > 0) v.Add($"pacing: {PacingRefusals} refusals at the host, {IntervalsUnder500} intervals under 500 ms (min {MinIntervalMs:F0} ms)");
        if (WorstCorpWindow > CorpBudget) v.Add($"corp budget: {WorstCorpWindow} sends in one window, budget {CorpBudget}");
        if (InboundMissing > 0) v.Add($"{InboundMissing} acknowledged callbacks never reached the tenant's event log");
        if (InboundDuplicated > 0) v.Add($"{InboundDuplicated} callbacks applied twice");
        if (OrderViolations > 0) v.Add($"{OrderViolations} messages out of order in their conversation");
        if (EchoesMissing > 0) v.Add($"{EchoesMissing} sends delivered without their echo under our msgId in the event log ({EchoesUnmatched} of them logged under the host's id)");
        foreach (var (fault, resume) in Resumes.Where(r => r.ResumeSeconds > resumeLimit.TotalSeconds))
            v.Add($"sends resumed {resume:F1} s after {(fault.Graceful ? "the stop" : "the kill")} of silo {fault.Silo} at {fault.At:HH:mm:ss.fff}");
        return v;
    }

    public override string ToString()
    {
        var b = new StringBuilder();
        b.AppendLine($"chaos: {Accounts} accounts, {Kills} kill -9 cycles and {GracefulRestarts} graceful restarts in {Elapsed.TotalSeconds:F0} s");
        b.AppendLine($"  sends: {SendsAccepted} accepted, {SendsAtHost} delivered to the host, {DuplicateSends} delivered twice, not at the host: {Describe(SendsNotAtHost)}");
        b.AppendLine($"  pacing: {PacingRefusals} refusals at the host, min interval {MinIntervalMs:F0} ms, {IntervalsUnder500} under 500 ms");
        b.AppendLine($"  corp budget: worst rolling window {WorstCorpWindow} of {CorpBudget}");
        b.AppendLine($"  callbacks: {CallbacksAcked} acknowledged ({InboundAcked} inbound messages, {HostRepeats} host repeats absorbed); " +
            $"missing in the event log {InboundMissing}, applied twice {InboundDuplicated}, out of order {OrderViolations}; echoes without our msgId {EchoesMissing} ({EchoesUnmatched} logged under the host's id)");
        b.AppendLine($"  inbox rows at the end: {string.Join(", ", Inbox.Select(i => $"{i.Value} {i.Key}"))}");
        foreach (var (fault, resume) in Resumes)
            b.AppendLine($"  {(fault.Graceful ? "stop" : "kill -9")} of silo {fault.Silo} at {fault.At:HH:mm:ss}: back in {(fault.Restarted - fault.At).TotalSeconds:F1} s, every account sending again after {resume:F1} s");
        return b.ToString();
    }

    private static string Describe(Dictionary<string, int> counts) => counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"));

    private sealed record EventRow(string MsgId, string Account, long AccountSeq, string? ConversationId, string? Content, string? SendMsgId);

    /// <summary>
    /// The tenant's event log once it holds every acknowledged inbound message and the echo of every delivered send, and
    /// the inbox has no row left to process (so no re-delivery can still add to the log); or after two minutes.
    /// </summary>
    private static async Task<List<EventRow>> SettledEventsAsync(ChaosCluster cluster, HashSet<string> expected, HashSet<string> echoed)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        DateTime? complete = null;
        while (true)
        {
            var rows = await EventsAsync(cluster);
            var all = expected.IsSubsetOf(rows.Select(r => r.MsgId)) && echoed.IsSubsetOf(rows.Where(r => r.SendMsgId is not null).Select(r => r.SendMsgId!));
            if (all) complete ??= DateTime.UtcNow;
            // Once the log is complete, rows the inbox still holds get a few seconds more to be processed (as duplicates).
            var pending = (await InboxAsync(cluster)).GetValueOrDefault("pending");
            if ((all && (pending == 0 || DateTime.UtcNow - complete > TimeSpan.FromSeconds(3))) || DateTime.UtcNow > deadline) return rows;
            await Task.Delay(250);
        }
    }

    private static async Task<Dictionary<string, long>> InboxAsync(ChaosCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT CASE WHEN processed_at IS NULL THEN 'pending' ELSE 'outcome ' || coalesce(outcome::text, '?') END, count(*) FROM wecom_callback_inbox GROUP BY 1 ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, long>();
        while (await reader.ReadAsync()) rows[reader.GetString(0)] = reader.GetInt64(1);
        return rows;
    }

    private static async Task<List<EventRow>> EventsAsync(ChaosCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT msg_id, account, account_seq, conversation_id, data, send_msg_id FROM wecom_event WHERE tenant = @t AND type = 'text_msg' ORDER BY account, account_seq", connection);
        command.Parameters.AddWithValue("t", ChaosCluster.TenantId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<EventRow>();
        while (await reader.ReadAsync())
        {
            string? content = null;
            if (!reader.IsDBNull(4))
            {
                using var data = JsonDocument.Parse(reader.GetString(4));
                if (data.RootElement.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) content = c.GetString();
            }

            rows.Add(new EventRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3), content,
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return rows;
    }

    /// <summary>Inbound messages whose number is not above the one before in their conversation, in the account's event order.</summary>
    private static int CountOrderViolations(List<EventRow> inbound)
    {
        var violations = 0;
        var last = new Dictionary<(string, string), long>();
        foreach (var e in inbound)
        {
            var parts = e.Content!.Split('|');
            var key = (parts[1], parts[2]);
            var n = long.Parse(parts[3]);
            if (last.TryGetValue(key, out var previous) && n <= previous) violations++;
            last[key] = Math.Max(n, last.GetValueOrDefault(key));
        }

        return violations;
    }

    private static int MaxInWindow(List<DateTimeOffset> times, TimeSpan window)
    {
        var best = 0;
        for (int i = 0, j = 0; i < times.Count; i++)
        {
            while (times[i] - times[j] >= window) j++;
            best = Math.Max(best, i - j + 1);
        }

        return best;
    }
}
