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

    /// <summary>
    /// Callback msgIds (<c>m:</c>) and server ids (<c>s:</c>) applied recently, as states of earlier versions kept them:
    /// read at activation, emptied at the next write. The keys are now those of <see cref="Messages"/>.
    /// </summary>
    [Id(7)] public List<string> RecentKeys { get; set; } = [];

    /// <summary>Our send msgId per key of <see cref="RecentKeys"/>, as earlier versions kept it; emptied at the next write.</summary>
    [Id(8)] public Dictionary<string, string> OurSends { get; set; } = [];

    [Id(9)] public bool Indexed { get; set; }
}

[GenerateSerializer]
public sealed class AccountConversationsState
{
    [Id(0)] public List<string> Conversations { get; set; } = [];
}
