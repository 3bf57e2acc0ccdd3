using System.Data.Common;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Storage;

/// <summary>Checks the <c>Storage</c> section; register it for <c>ValidateOnStart</c>.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (options.MaxPoolSize is < 1) failures.Add($"Storage:MaxPoolSize must be at least 1, not {options.MaxPoolSize}.");
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"Storage:Provider '{options.Provider}' is not known; use Sqlite or PostgreSql.");
        }
        else if (options.Provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("Storage:ConnectionString is required when Storage:Provider is PostgreSql (e.g. 'Host=db;Database=wecom;Username=wecom;Password=…').");
        }
        else if (!TryParse(options.EffectiveConnectionString, out var error))
        {
            failures.Add($"Storage:ConnectionString is not a valid connection string: {error}");
        }
        else if (options.Provider == StorageProvider.Sqlite && SqliteFile.PathOf(options.EffectiveConnectionString) is null)
        {
            failures.Add("Storage:ConnectionString for Sqlite needs a 'Data Source' file path; in-memory databases and file: URIs are not supported.");
        }

        if (options.Provider == StorageProvider.Sqlite && Sqlite.SqliteSynchronous.Problem(options.SqliteSynchronous, "Storage:SqliteSynchronous") is { } problem)
        {
            failures.Add(problem);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> with every failure when the options are invalid.</summary>
    public static void ThrowIfInvalid(StorageOptions options)
    {
        var result = new StorageOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(StorageOptions), result.Failures);
        }
    }

    private static bool TryParse(string connectionString, out string? error)
    {
        try
        {
            _ = new DbConnectionStringBuilder { ConnectionString = connectionString };
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
    }
}
