namespace Secrets.Policy.Authorization;

/// <summary>
/// A compressed sparse row table: for each key <c>0..n-1</c>, a contiguous run of <see cref="int"/> values.
/// One allocation per table instead of one list per key, and spans instead of enumerators on the hot path.
/// </summary>
internal readonly struct Adjacency
{
    private readonly int[] _start;
    private readonly int[] _items;

    private Adjacency(int[] start, int[] items)
    {
        _start = start;
        _items = items;
    }

    /// <summary>The values of <paramref name="key"/>, in the order they were given to <see cref="Create"/>.</summary>
    public ReadOnlySpan<int> this[int key] => _items.AsSpan(_start[key], _start[key + 1] - _start[key]);

    /// <summary>
    /// Groups <paramref name="values"/> by <paramref name="keys"/> (counting sort, stable: the values of a key keep
    /// their relative order).
    /// </summary>
    public static Adjacency Create(int keyCount, ReadOnlySpan<int> keys, ReadOnlySpan<int> values)
    {
        var start = new int[keyCount + 1];
        foreach (var key in keys)
        {
            start[key + 1]++;
        }

        for (var i = 0; i < keyCount; i++)
        {
            start[i + 1] += start[i];
        }

        var items = new int[keys.Length];
        var next = start.AsSpan(0, keyCount).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            items[next[keys[i]]++] = values[i];
        }

        return new Adjacency(start, items);
    }
}
