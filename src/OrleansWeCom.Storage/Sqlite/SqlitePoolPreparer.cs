using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;

namespace OrleansWeCom.Storage.Sqlite;

/// <summary>
/// Gives the pooled SQLite connections that Orleans' ADO.NET providers use a busy timeout and the configured
/// <c>synchronous</c>.
/// </summary>
/// <remarks>
/// Without <c>PRAGMA busy_timeout</c>, a statement that finds the write lock taken returns SQLITE_BUSY and
/// Microsoft.Data.Sqlite retries it after sleeping 150 ms on the calling thread; with it, SQLite itself waits only as long
/// as the lock is held. Our stores set the pragmas on their own connections (<see cref="SqliteTuning"/>), but the
/// providers open theirs from the connection string with no hook. A pragma belongs to the native connection and survives
/// its return to the pool, so this opens a batch of pooled connections with the providers' exact connection string, sets
/// them, and hands them back: before the providers start, and again every <see cref="Interval"/> for connections the pool
/// opened since. Such a connection runs SQLite's default (FULL) until then: only ever the safer side.
/// </remarks>
public sealed partial class SqlitePoolPreparer(string connectionString, string synchronous, ILogger<SqlitePoolPreparer> logger) : BackgroundService
{
    /// <summary>Connections prepared per round: above the providers' usual concurrency on a silo.</summary>
    public const int Connections = 32;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    public const int BusyTimeoutMilliseconds = SqliteTuning.BusyTimeoutMilliseconds;

    private readonly string _pragmas = SqliteTuning.ConnectionPragmas(synchronous);

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
                command.CommandText = _pragmas;
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
