using Microsoft.Extensions.DependencyInjection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Storage.Sqlite;

public sealed class SqliteCheckpointOptions
{
    /// <summary>The SQLite databases (in WAL mode) to checkpoint.</summary>
    public HashSet<string> ConnectionStrings { get; } = [];

    /// <summary>How often each write-ahead log is copied back into its database.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Copies the write-ahead log of each SQLite file back into the database on a thread of its own, so that the writers
/// on the ingest and send paths rarely have to.
/// </summary>
/// <remarks>
/// SQLite checkpoints inside the commit that takes the log past 1,000 pages, on the committing thread. This runs passive
/// checkpoints, which never wait for a writer or a reader, so the log rarely grows to that threshold. The writers keep
/// SQLite's own checkpoint as the fallback: should this thread fall behind or stop, the log still cannot grow without bound.
/// </remarks>
public sealed partial class SqliteCheckpointer(IOptions<SqliteCheckpointOptions> options, ILogger<SqliteCheckpointer> logger) : IHostedService
{
    private readonly SqliteCheckpointOptions _options = options.Value;
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.ConnectionStrings.Count == 0) return Task.CompletedTask;
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-checkpointer" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    private void Run()
    {
        OrleansWeCom.Storage.Threading.BackgroundThreads.LowerPriorityOfCurrentThread();
        var connections = new Dictionary<string, SqliteConnection>();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    foreach (var cs in _options.ConnectionStrings.Where(cs => !connections.ContainsKey(cs)))
                    {
                        // Kept before it opens, so that a failed open is disposed with the rest below.
                        var connection = connections[cs] = new SqliteConnection(cs);
                        connection.Open();
                    }

                    foreach (var connection in connections.Values)
                    {
                        using var command = connection.CreateCommand();
                        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                        command.ExecuteNonQuery();
                    }
                }
                catch (Exception e)
                {
                    // Whatever went wrong, this thread goes on: an exception escaping it would end the process.
                    LogCheckpointFailed(logger, e.Message);
                    foreach (var connection in connections.Values) connection.Dispose();
                    connections.Clear();
                    _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(5));
                }

                _stopping.Token.WaitHandle.WaitOne(_options.Interval);
            }
        }
        finally
        {
            foreach (var connection in connections.Values) connection.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite checkpoint failed (SQLite checkpoints in the writers meanwhile): {Error}")]
    private static partial void LogCheckpointFailed(ILogger logger, string error);
}

public static class SqliteCheckpointServiceCollectionExtensions
{
    /// <summary>Checkpoints these SQLite files in the background (see <see cref="SqliteCheckpointer"/>).</summary>
    public static IServiceCollection AddSqliteCheckpoints(this IServiceCollection services, params string[] connectionStrings)
    {
        services.AddOptions<SqliteCheckpointOptions>().Configure(o =>
        {
            foreach (var cs in connectionStrings) o.ConnectionStrings.Add(cs);
        });
        services.TryAddSingleton<SqliteCheckpointer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteCheckpointer>(sp => sp.GetRequiredService<SqliteCheckpointer>()));
        return services;
    }
}
