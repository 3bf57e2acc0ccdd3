using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;

namespace OrleansWeCom.Host.Storage;

/// <summary>
/// Gives the pooled SQLite connections that Orleans' ADO.NET providers use a busy timeout and the configured
/// <c>synchronous</c>.
/// </summary>
/// <remarks>
/// Without <c>PRAGMA busy_timeout</c>, a statement that finds the write lock taken returns SQLITE_BUSY and
/// Microsoft.Data.Sqlite retries it after sleeping 150 ms on the calling thread; with it, SQLite itself waits only
/// as long as the lock is held (measured: 152 ms against 8 ms for a lock held 5 ms). The inbox, event log and outbox
/// set the pragma on their own connections, but the providers open theirs from the connection string with no hook.
/// The pragma belongs to the native connection and survives its return to the pool, so this opens a batch of
/// pooled connections with the providers' exact connection string, sets it, and hands them back: before the
/// providers start, and again every <see cref="Interval"/> to cover connections the pool opened under load.
/// <para>
/// <c>synchronous</c> is set the same way. SQLite's own default in WAL mode, FULL, made every grain write an fsync: with
/// 1,000 accounts sending, about 135 a second on the state file (counted by strace), and 6% of the host's profile samples
/// in fsync on thread-pool threads. A connection the pool opened since the last round runs FULL until the next: only
/// ever the safer side.
/// </para>
/// </remarks>
public sealed partial class SqlitePoolPreparer(string connectionString, string synchronous, ILogger<SqlitePoolPreparer> logger) : BackgroundService
{
    /// <summary>Connections prepared per round: above the providers' usual concurrency on a silo.</summary>
    public const int Connections = 32;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    public const int BusyTimeoutMilliseconds = StorageConnection.SqliteBusyTimeoutSeconds * 1000;

    private readonly string _synchronous = OrleansWeCom.SqliteSynchronous.Pragma(synchronous, nameof(synchronous));

    /// <summary>Opens <see cref="Connections"/> pooled connections at once, sets the busy timeout on each and returns them.</summary>
    public void Prepare()
    {
        var opened = new List<SqliteConnection>(Connections);
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var connection = new SqliteConnection(connectionString);
                opened.Add(connection);
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = {_synchronous}";
                command.ExecuteNonQuery();
            }
        }
        finally
        {
            foreach (var connection in opened) connection.Dispose();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Prepare();
                }
                catch (SqliteException e)
                {
                    LogPrepareFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not prepare pooled SQLite connections (busy timeout, synchronous): {Error}")]
    private static partial void LogPrepareFailed(ILogger logger, string error);
}
