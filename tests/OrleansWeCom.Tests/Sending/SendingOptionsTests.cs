using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Sending;

/// <summary>WeCom's limits as the host binds them from <c>WeCom:Limits</c> (and <c>WeCom:Outbox</c>).</summary>
public sealed class SendingOptionsTests
{
    [Fact]
    public void The_defaults_are_the_seeds_limits_and_pass()
    {
        var options = Resolve([]);

        Assert.Equal(TimeSpan.FromMilliseconds(500), options.AccountSendInterval);
        Assert.Equal(50_000, options.CorpSendsPerWindow);
        Assert.Equal(TimeSpan.FromHours(1), options.CorpWindow);
        Assert.True(options.PacingMargin >= TimeSpan.Zero);
    }

    [Theory]
    [InlineData("WeCom:Limits:AccountSendInterval", "00:00:00", "AccountSendInterval")]
    [InlineData("WeCom:Limits:PacingMargin", "-00:00:00.001", "PacingMargin")]
    [InlineData("WeCom:Limits:MaxPrepareAhead", "00:00:00.5", "MaxPrepareAhead")]
    [InlineData("WeCom:Limits:CorpSendsPerWindow", "0", "CorpSendsPerWindow")]
    [InlineData("WeCom:Limits:CorpWindow", "00:00:00", "CorpWindow")]
    [InlineData("WeCom:Limits:LeaseDuration", "02:00:00", "LeaseDuration")]
    [InlineData("WeCom:Outbox:MaxQueuedPerAccount", "0", "MaxQueuedPerAccount")]
    [InlineData("WeCom:Limits:MaxBackoff", "00:00:01", "MaxBackoff")]
    [InlineData("WeCom:Limits:MaxAttempts", "0", "MaxAttempts")]
    [InlineData("WeCom:Limits:ZombieFailureThreshold", "0", "ZombieFailureThreshold")]
    public void A_limit_the_grains_cannot_keep_fails_at_start(string key, string value, string named)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains($"WeCom:Limits:{named}", error.Message);
    }

    [Fact]
    public void Several_bad_limits_are_named_together()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["WeCom:Limits:AccountSendInterval"] = "00:00:00",
            ["WeCom:Limits:CorpSendsPerWindow"] = "-5",
        }));

        Assert.Contains("AccountSendInterval", error.Message);
        Assert.Contains("CorpSendsPerWindow", error.Message);
    }

    private static SendingOptions Resolve(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<SendingOptions>().Bind(config.GetSection("WeCom:Limits")).Bind(config.GetSection("WeCom:Outbox"));
        services.AddSingleton<IValidateOptions<SendingOptions>, SendingOptionsValidator>();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SendingOptions>>().Value;
    }
}
