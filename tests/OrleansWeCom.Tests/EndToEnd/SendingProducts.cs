using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.EndToEnd;

/// <summary>The sending line of host processes, with the products its classes share.</summary>
[CollectionDefinition(HostProcessCollection.Sending)]
public sealed class SendingProcessCollection : ICollectionFixture<SendingProducts>;

/// <summary>
/// Products several sending classes share, each started when a test first asks for it, so that the line starts two host
/// processes fewer. Every test logs in accounts of its own and reads only their sends.
/// </summary>
public sealed class SendingProducts : IAsyncLifetime
{
    private readonly Lazy<Task<Product>> _default = new(() => Product.StartAsync());

    // A host call times out after 1 s (3 s in all), so that an answer the emulator holds for 4 s is lost; an account
    // queues at most 3 sends, so that the queue test fills one quickly.
    private readonly Lazy<Task<Product>> _bounded = new(() => Product.StartAsync(settings: new Dictionary<string, string>
    {
        ["ContainerHosts:Hosts:0:Timeout"] = "00:00:01",
        ["ContainerHosts:Hosts:0:TotalTimeout"] = "00:00:03",
        ["WeCom:Outbox:MaxQueuedPerAccount"] = "3",
    }));

    private readonly Lazy<Task<Validation>> _validation;

    public SendingProducts() => _validation = new(StartValidationAsync);

    /// <summary>
    /// The validation tests' accounts on the bounded product: one they send from (nothing valid reaches its queue), and
    /// another that the queue test fills and stops.
    /// </summary>
    public sealed record Validation(Product Product, (string Host, string WxId, string To) Sender, (string Host, string WxId, string To) Filled);

    /// <summary>Default settings: the pacing test, and the crash test (which restarts the host).</summary>
    public Task<Product> DefaultAsync() => _default.Value;

    /// <summary>Short host timeouts and a queue bound of 3: the unanswered-send, idempotency and validation tests.</summary>
    public Task<Product> BoundedAsync() => _bounded.Value;

    public Task<Validation> ValidationAsync() => _validation.Value;

    private async Task<Validation> StartValidationAsync()
    {
        var product = await BoundedAsync();
        return new Validation(product, await LoginAsync(product), await LoginAsync(product));
    }

    private static async Task<(string, string, string)> LoginAsync(Product product)
    {
        var (host, wxId, _) = await product.LoginAsync();
        return (host, wxId, await product.CustomerOfAsync(wxId));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var product in new[] { _default, _bounded }.Where(p => p.IsValueCreated).Select(p => p.Value))
        {
            try
            {
                await (await product).DisposeAsync();
            }
            catch (Exception) when (!product.IsCompletedSuccessfully)
            {
                // A product that never started has nothing to stop; its test already failed with the cause.
            }
        }
    }
}
