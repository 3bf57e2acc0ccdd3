namespace OrleansWeCom.Storage;

/// <summary>The commands, parameters and readers every store uses: one place instead of a copy per store.</summary>
public static class Sql
{
    public static DbCommand Command(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Adds a parameter named as the SQL writes it (<c>@name</c>): Microsoft.Data.Sqlite looks a bare name up once per possible prefix on every bind.</summary>
    public static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name[0] == '@' ? name : "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static async Task<List<T>> QueryAsync<T>(DbConnection connection, string sql, Action<DbCommand> bind, Func<DbDataReader, T> map,
        CancellationToken cancellationToken, DbTransaction? transaction = null)
    {
        await using var command = Command(connection, sql, transaction);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(map(reader));
        return rows;
    }

    /// <summary>
    /// Like <see cref="QueryAsync{T}"/>, but stops once the rows taken reach <paramref name="budget"/> by
    /// <paramref name="size"/> (the first row is always taken); <c>more</c> says a row was left unread for that.
    /// </summary>
    public static async Task<(List<T> Rows, bool More)> QueryUpToAsync<T>(DbConnection connection, string sql, Action<DbCommand> bind,
        Func<DbDataReader, T> map, Func<T, long> size, long budget, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        long taken = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (rows.Count > 0 && taken >= budget) return (rows, true);
            var row = map(reader);
            rows.Add(row);
            taken += size(row);
        }

        return (rows, false);
    }

    public static string? Text(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>An integer column, whichever integer type the provider returns it as.</summary>
    public static long Long(this DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal));

    public static long? LongOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Convert.ToInt64(reader.GetValue(ordinal));

    /// <summary>A time stored as Unix milliseconds.</summary>
    public static DateTimeOffset? TimeOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(ordinal)));
}
