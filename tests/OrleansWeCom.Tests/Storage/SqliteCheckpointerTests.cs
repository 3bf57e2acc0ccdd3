using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Tests.Storage;

public sealed class SqliteCheckpointerTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"wecom-checkpoint-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task Committed_pages_reach_the_database_file_without_the_writer_checkpointing()
    {
        var connectionString = $"Data Source={_file};Pooling=False";
        using var writer = new SqliteConnection(connectionString);
        writer.Open();
        using (var command = writer.CreateCommand())
        {
            // The writer never checkpoints itself here: whatever reaches the database file, the checkpointer copied.
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (v BLOB);";
            command.ExecuteNonQuery();
            command.CommandText = "INSERT INTO t VALUES (randomblob(4000))";
            for (var i = 0; i < 256; i++) command.ExecuteNonQuery();
        }

        var before = new FileInfo(_file).Length;
        Assert.True(before < 100_000, $"the database file already holds {before} bytes");

        var options = new SqliteCheckpointOptions { Interval = TimeSpan.FromMilliseconds(20) };
        options.ConnectionStrings.Add(connectionString);
        var checkpointer = new SqliteCheckpointer(Options.Create(options), NullLogger<SqliteCheckpointer>.Instance);
        await checkpointer.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (new FileInfo(_file).Length < 256 * 4000 && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        finally
        {
            await checkpointer.StopAsync(CancellationToken.None);
        }

        Assert.True(new FileInfo(_file).Length >= 256 * 4000, $"the database file holds {new FileInfo(_file).Length} bytes after the checkpointer ran");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try
            {
                File.Delete(_file + suffix);
            }
            catch (IOException)
            {
            }
        }
    }
}
