using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// Refuses, at start, limits the account and budget grains cannot keep: a zero interval would send as fast as the host
/// answers, a zero budget would never send, a negative margin would send early.
/// </summary>
public sealed class SendingOptionsValidator : IValidateOptions<SendingOptions>
{
    public ValidateOptionsResult Validate(string? name, SendingOptions options)
    {
        var errors = new List<string>();
        void Require(bool ok, string key, string what)
        {
            if (!ok) errors.Add($"WeCom:Limits:{key} {what}");
        }

        Require(options.AccountSendInterval > TimeSpan.Zero, nameof(options.AccountSendInterval), "must be positive");
        Require(options.InFlightGrace >= TimeSpan.Zero, nameof(options.InFlightGrace), "must not be negative");
        Require(options.PacingMargin >= TimeSpan.Zero, nameof(options.PacingMargin), "must not be negative");
        Require(options.MaxPrepareAhead >= TimeSpan.Zero && options.MaxPrepareAhead < options.AccountSendInterval, nameof(options.MaxPrepareAhead),
            "must be at least zero and shorter than WeCom:Limits:AccountSendInterval");
        Require(options.CorpSendsPerWindow >= 1, nameof(options.CorpSendsPerWindow), "must be at least 1");
        Require(options.CorpWindow > TimeSpan.Zero, nameof(options.CorpWindow), "must be positive");
        Require(options.LeaseDuration is not { } lease || (lease > TimeSpan.Zero && lease <= options.CorpWindow), nameof(options.LeaseDuration),
            "must be positive and at most WeCom:Limits:CorpWindow");
        Require(options.MaxQueuedPerAccount >= 1, nameof(options.MaxQueuedPerAccount), "must be at least 1");
        Require(options.MaxQueuedBytesPerAccount >= 128 * 1024, nameof(options.MaxQueuedBytesPerAccount), "must be at least 128 KiB (two sends of the largest body)");
        Require(options.MaxQueuedBytesPerTenant == 0 || options.MaxQueuedBytesPerTenant >= 128 * 1024, nameof(options.MaxQueuedBytesPerTenant),
            "must be 0 (off) or at least 128 KiB");
        Require(options.FrequencyBackoff > TimeSpan.Zero, nameof(options.FrequencyBackoff), "must be positive");
        Require(options.MaxBackoff >= options.FrequencyBackoff, nameof(options.MaxBackoff), "must be at least WeCom:Limits:FrequencyBackoff");
        Require(options.MaxAttempts >= 1, nameof(options.MaxAttempts), "must be at least 1");
        Require(options.UnknownOutcomeWindow > TimeSpan.Zero, nameof(options.UnknownOutcomeWindow), "must be positive");
        Require(options.IdempotencyCacheSize >= 0, nameof(options.IdempotencyCacheSize), "must not be negative");
        Require(options.ZombieFailureThreshold >= 1, nameof(options.ZombieFailureThreshold), "must be at least 1");
        Require(options.ZombieRestartCooldown >= TimeSpan.Zero, nameof(options.ZombieRestartCooldown), "must not be negative");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
