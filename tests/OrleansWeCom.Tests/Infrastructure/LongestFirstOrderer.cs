using Xunit.Abstractions;

[assembly: TestCollectionOrderer("OrleansWeCom.Tests.Infrastructure.LongestFirstOrderer", "OrleansWeCom.Tests")]

namespace OrleansWeCom.Tests.Infrastructure;

/// <summary>
/// Starts the collections that take longest first, so that the two threads xunit runs collections on finish together
/// instead of one long line of host processes running alone at the end. The rest keep xunit's own order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    /// <summary>The collections with the longest summed durations (from the run's trx file), longest first.</summary>
    private static readonly string[] Longest =
    [
        HostProcessCollection.Name,
        HostProcessCollection.Sending,
        "Test collection for OrleansWeCom.Tests.Callbacks.CallbackIngestionTests",
        "Test collection for OrleansWeCom.Tests.Webhooks.PostgreSqlEventLogTests",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        var all = testCollections.ToList();
        int Rank(ITestCollection c) => Array.IndexOf(Longest, c.DisplayName) is var i and >= 0 ? i : Longest.Length;
        // OrderBy is stable: collections not named keep the order xunit gave them.
        return all.OrderBy(Rank);
    }
}
