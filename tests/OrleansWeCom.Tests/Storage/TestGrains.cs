using Orleans.Runtime;
using OrleansWeCom.Grains;

namespace OrleansWeCom.Tests.Storage;

[GenerateSerializer, Alias("wecom.tests.storage.ProbeState")]
public sealed record class ProbeState
{
    [Id(0)] public string? Value { get; set; }
    [Id(1)] public int Writes { get; set; }
}

[Alias("wecom.tests.storage.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    [Alias("Set")] Task SetAsync(string value);
    [Alias("Get")] Task<ProbeState> GetAsync();
    [Alias("ETag")] Task<string?> GetETagAsync();
    [Alias("Exists")] Task<bool> RecordExistsAsync();
    [Alias("Clear")] Task ClearAsync();
    [Alias("Deactivate")] Task DeactivateAsync();
}

/// <summary>Keeps one state in the "wecom" storage under a state name no other grain uses.</summary>
public sealed class StorageProbeGrain(
    [PersistentState("storageProbe", StorageNames.Grains)] IPersistentState<ProbeState> state) : Grain, IStorageProbeGrain
{
    public async Task SetAsync(string value)
    {
        state.State.Value = value;
        state.State.Writes++;
        await state.WriteStateAsync();
    }

    public Task<ProbeState> GetAsync() => Task.FromResult(state.State);

    public Task<string?> GetETagAsync() => Task.FromResult(state.Etag);

    public Task<bool> RecordExistsAsync() => Task.FromResult(state.RecordExists);

    public Task ClearAsync() => state.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

[Alias("wecom.tests.storage.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Start")] Task StartAsync(TimeSpan dueTime, TimeSpan period);
    [Alias("Stop")] Task StopAsync();
    [Alias("Ticks")] Task<int> TicksAsync();
    [Alias("Registered")] Task<bool> IsRegisteredAsync();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";
    private int _ticks;

    public async Task StartAsync(TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public async Task StopAsync()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task<int> TicksAsync() => Task.FromResult(_ticks);

    public async Task<bool> IsRegisteredAsync() => await this.GetReminder(ReminderName) is not null;

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
        {
            _ticks++;
        }

        return Task.CompletedTask;
    }
}
