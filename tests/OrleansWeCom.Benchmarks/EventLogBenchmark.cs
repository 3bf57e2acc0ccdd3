using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Storage;
using OrleansWeCom.Storage.Events;
using OrleansWeCom.Storage.Schema;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// The SQLite event log alone: appends shaped as the conversations hand them over (text messages of many conversations
/// over a few accounts, each appender waiting for its append as a conversation does), through the product's writer. It
/// prints appends per second, process CPU, and the write and read system calls per event with the bytes handed to the
/// writes (the kernel's count, not the disk's): these do not depend on how busy the machine is, so builds compare on them.
/// Usage: eventlog [--events 60000] [--warmup 20000] [--appenders 64] [--accounts 20] [--conversations 1000] [--without-index NAME]...
/// </summary>
public static class EventLogBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var total = IngestBenchmark.Arg(args, "--events", 60_000);
        var warmup = IngestBenchmark.Arg(args, "--warmup", 20_000);
        var appenders = IngestBenchmark.Arg(args, "--appenders", 64);
        var accounts = IngestBenchmark.Arg(args, "--accounts", 20);
        var conversations = Math.Max(accounts, IngestBenchmark.Arg(args, "--conversations", 1000));
        var without = args.Select((a, i) => (a, i)).Where(x => x.a == "--without-index" && x.i + 1 < args.Length).Select(x => args[x.i + 1]).ToList();
        var file = Path.Combine(Path.GetTempPath(), $"wecom-eventlog-{Guid.NewGuid():N}.db");
        try
        {
            await using var databases = new StorageDatabases(new StorageOptions { ConnectionString = $"Data Source={file}" }, NullLogger<SchemaInstaller>.Instance);
            await databases.EnsureSchemaAsync();
            foreach (var index in without)
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(index, "^[a-z_]+$")) throw new ArgumentException($"not an index name: {index}");
                // Prices one index: the same appends without it (ux_wecom_event_msg cannot go: the insert's ON CONFLICT needs it).
                await using var connection = await databases[StorageComponent.Events].OpenAsync();
                await using var drop = Sql.Command(connection, $"DROP INDEX {index}");
                await drop.ExecuteNonQueryAsync();
            }
            await using var log = new SqlEventLog(databases, Options.Create(new EventLogOptions()), TimeProvider.System, NullLogger<SqlEventLog>.Instance);

            await AppendAsync(log, 0, warmup, appenders, accounts, conversations);
            var (cpu0, io0) = (Process.GetCurrentProcess().TotalProcessorTime, ProcessIo.Read());
            var start = Stopwatch.GetTimestamp();
            await AppendAsync(log, warmup, total, appenders, accounts, conversations);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var (cpu1, io1) = (Process.GetCurrentProcess().TotalProcessorTime, ProcessIo.Read());

            Console.WriteLine($"event log benchmark on {Environment.ProcessorCount} cores: {total} appends by {appenders} appenders waiting for each, " +
                $"{accounts} accounts x {conversations / accounts} conversations, SQLite synchronous=NORMAL, after {warmup} appends" +
                (without.Count > 0 ? $", without {string.Join(" and ", without)}" : ""));
            Console.WriteLine($"appends       : {total / elapsed.TotalSeconds,8:F0} events/s in {elapsed.TotalSeconds:F2} s");
            Console.WriteLine($"cost per event: {(cpu1 - cpu0).TotalMilliseconds * 1000 / total:F1} µs CPU; " +
                $"{(double)(io1.WriteCalls - io0.WriteCalls) / total:F2} write and {(double)(io1.ReadCalls - io0.ReadCalls) / total:F2} read system calls, " +
                $"{(double)(io1.WrittenBytes - io0.WrittenBytes) / total / 1024:F1} KiB handed to them");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            OrleansWeCom.Testing.TestSettings.DeleteDatabase(file);
        }
    }

    private static async Task AppendAsync(SqlEventLog log, int first, int count, int appenders, int accounts, int conversations)
    {
        var next = first - 1;
        var end = first + count;
        var tenant = new TenantId("bench");
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < end; i = Interlocked.Increment(ref next))
            {
                var account = $"16888543552{i % accounts:D5}";
                var conversation = $"S:{account}_78813008390{(i / accounts) % (conversations / accounts):D5}";
                var data = new JsonObject
                {
                    ["content"] = $"message {i}",
                    ["content_type"] = 2,
                    ["conversation_id"] = conversation,
                    ["receiver"] = account,
                    ["sender"] = "7881300839000001",
                    ["sender_name"] = "customer",
                    ["server_id"] = $"{1000000 + i}",
                }.ToJsonString();
                await log.AppendAsync(new TenantEvent(Guid.NewGuid().ToString(), tenant, "text_msg", "wecom-bench", "apps-1", account,
                    1686708147954 + i, data, null, conversation));
            }
        })));
    }

    /// <summary>This process's I/O counters from <c>/proc/self/io</c> (zero elsewhere).</summary>
    internal readonly record struct ProcessIo(long ReadCalls, long WriteCalls, long WrittenBytes)
    {
        public static ProcessIo Read()
        {
            if (!File.Exists("/proc/self/io")) return default;
            var values = File.ReadAllLines("/proc/self/io").Select(l => l.Split(':')).ToDictionary(p => p[0].Trim(), p => long.Parse(p[1].Trim()));
            return new ProcessIo(values["syscr"], values["syscw"], values["wchar"]);
        }
    }
}
