using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Conversations;

[GenerateSerializer]
public sealed class ConversationState
{
    [Id(0)] public string Tenant { get; set; } = "";

    /// <summary>Oldest first, at most <c>RecentMessages</c>.</summary>
    [Id(1)] public List<ConversationMessage> Messages { get; set; } = [];

    [Id(2)] public long LastActivity { get; set; }

    /// <summary>When the tenant last marked the conversation read (Unix ms).</summary>
    [Id(3)] public long LastReadAt { get; set; }

    [Id(4)] public int UnreadCount { get; set; }

    /// <summary>Participant id to display name (null until a message of theirs names them).</summary>
    [Id(5)] public Dictionary<string, string?> Participants { get; set; } = [];

    [Id(6)] public long MessageCount { get; set; }

    [Id(9)] public bool Indexed { get; set; }
}

[GenerateSerializer]
public sealed class AccountConversationsState
{
    [Id(0)] public List<string> Conversations { get; set; } = [];
}
