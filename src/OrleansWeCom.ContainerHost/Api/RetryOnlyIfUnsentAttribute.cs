namespace OrleansWeCom.ContainerHost.Api;

/// <summary>
/// Marks a call the host does not de-duplicate: repeating it after it may have reached the host can repeat its effect
/// (a second message, a second container, a second friend request). The pipeline retries such a call only when the
/// request certainly never left this process or never got a connection (refused, unresolved, circuit open).
/// Unmarked calls are idempotent enough to retry on 5xx, 408 and timeouts as well.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RetryOnlyIfUnsentAttribute : Attribute;
