namespace OrleansWeCom.Grains;

/// <summary>Names of the grain storage providers the host must register.</summary>
public static class StorageNames
{
    public const string Grains = "wecom";

    /// <summary>Orleans' store of stream subscriptions (the name its pub-sub asks for).</summary>
    public const string PubSub = "PubSubStore";
}
