using System.Collections.Concurrent;

namespace OrleansWeCom;

/// <summary>
/// Grain references by string key without Orleans' per-call lookup of the interface's attributes
/// (<c>GetGrain&lt;T&gt;(string)</c> reads them by reflection on every call): the grain and interface types are learned
/// from the first reference of each interface and reused. Used on the paths taken once per send or callback.
/// </summary>
public static class GrainReferences
{
    private static readonly ConcurrentDictionary<Type, (GrainType Grain, GrainInterfaceType Interface)> Types = new();

    public static T Reference<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        if (!Types.TryGetValue(typeof(T), out var types))
        {
            var first = (GrainReference)(object)grains.GetGrain<T>(key);
            Types[typeof(T)] = (first.GrainId.Type, first.InterfaceType);
            return (T)(object)first;
        }

        return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
    }
}
