namespace Herald.Simulator.Inspection;

/// <summary>A fixed-capacity buffer keeping the newest items; a short lock guards each operation.</summary>
internal sealed class RingBuffer<T>(int capacity)
    where T : class
{
    private readonly T?[] _items = new T?[capacity];
    private readonly Lock _gate = new();
    private int _next;
    private int _count;

    public int Capacity => _items.Length;

    public void Add(T item)
    {
        if (_items.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            _items[_next] = item;
            _next = (_next + 1) % _items.Length;
            if (_count < _items.Length)
            {
                _count++;
            }
        }
    }

    /// <summary>Up to <paramref name="limit"/> items, newest first.</summary>
    public T[] Snapshot(int limit)
    {
        lock (_gate)
        {
            var n = Math.Clamp(limit, 0, _count);
            var result = new T[n];
            for (var i = 0; i < n; i++)
            {
                var index = (_next - 1 - i + _items.Length) % _items.Length;
                result[i] = _items[index]!;
            }

            return result;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Array.Clear(_items);
            _next = 0;
            _count = 0;
        }
    }
}
