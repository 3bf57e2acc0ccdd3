using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Callbacks;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Host.Hosting;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>The conversation write-behind as the host binds it from <c>Conversations</c>.</summary>
public sealed class ConversationOptionsTests
{
    [Fact]
    public void The_default_writes_behind_every_10_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), Resolve([]).FlushInterval);
    }

    [Fact]
    public void An_interval_is_configurable_up_to_half_of_the_inbox_redelivery()
    {
        Assert.Equal(TimeSpan.FromSeconds(15), Resolve(new() { ["Conversations:FlushInterval"] = "00:00:15" }).FlushInterval);
        Assert.Equal(TimeSpan.FromSeconds(40),
            Resolve(new() { ["Conversations:FlushInterval"] = "00:00:40", ["Callbacks:RedeliverAfter"] = "00:01:20" }).FlushInterval);
    }

    [Theory]
    [InlineData("00:00:16")]
    [InlineData("00:00:00")]
    public void An_interval_the_inbox_would_overtake_fails_at_start(string interval)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Conversations:FlushInterval"] = interval }));

        Assert.Contains("Conversations:FlushInterval", error.Message);
    }

    private static CallbackGrainOptions Resolve(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<CallbackOptions>().Bind(config.GetSection("Callbacks"));
        services.AddConversationOptions(config);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<CallbackGrainOptions>>().Value;
    }
}
