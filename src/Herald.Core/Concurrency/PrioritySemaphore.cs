namespace Herald.Core.Concurrency;

/// <summary>
/// A counting semaphore with two waiting lines: a freed permit goes to the longest-waiting urgent waiter first, then to the
/// longest-waiting normal one (first come first served within each line). Urgent waiters overtake at most
/// <see cref="MaxOvertakes"/> normal waiters' turns in a row, so a stream of urgent work cannot starve normal work.
/// Used where an OTP must not queue behind a campaign's work: SQLite's one writer turn, and the node's and each provider's
/// in-flight permits.
/// </summary>
public sealed class PrioritySemaphore
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _urgent = new();
    private readonly LinkedList<TaskCompletionSource> _normal = new();
    private readonly int _max;
    private int _count;
    private int _overtakes;

    /// <param name="initialCount">Permits free at the start.</param>
    /// <param name="maxCount">The most permits there can be (a release above it throws, like <see cref="SemaphoreSlim"/>).</param>
    /// <param name="maxOvertakes">Urgent waiters served in a row while normal ones wait, before one normal waiter is served.</param>
    public PrioritySemaphore(int initialCount, int maxCount = int.MaxValue, int maxOvertakes = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, Math.Max(1, initialCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOvertakes, 1);
        _count = initialCount;
        _max = maxCount;
        MaxOvertakes = maxOvertakes;
    }

    /// <summary>Urgent waiters served in a row while normal ones wait.</summary>
    public int MaxOvertakes { get; }

    /// <summary>Permits free now.</summary>
    public int CurrentCount
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Takes a permit if one is free now, without waiting.</summary>
    public bool TryWait()
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return false;
            }
            _count--;
            return true;
        }
    }

    /// <summary>Waits for a permit, in the urgent line when <paramref name="urgent"/>.</summary>
    public Task WaitAsync(bool urgent, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            // Free permits and waiters never coexist: a release hands its permit to a waiter when there is one.
            if (_count > 0)
            {
                _count--;
                return Task.CompletedTask;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = (urgent ? _urgent : _normal).AddLast(waiter);
        }
        return cancellationToken.CanBeCanceled ? WaitCancellableAsync(node, cancellationToken) : waiter.Task;
    }

    private async Task WaitCancellableAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        await using (cancellationToken.UnsafeRegister(static (state, token) =>
        {
            var (owner, waiting) = ((PrioritySemaphore, LinkedListNode<TaskCompletionSource>))state!;
            bool removed;
            lock (owner._lock)
            {
                // Still in a line: no permit was handed to it, so it can leave empty-handed.
                removed = waiting.List is not null;
                waiting.List?.Remove(waiting);
            }
            if (removed)
            {
                waiting.Value.TrySetCanceled(token);
            }
        }, (this, node)))
        {
            await node.Value.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Returns <paramref name="count"/> permits: each goes to the next waiter (urgent first), or is kept free.</summary>
    public void Release(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        List<TaskCompletionSource>? handed = null;
        lock (_lock)
        {
            var freed = 0;
            for (var i = 0; i < count; i++)
            {
                if (Next() is { } waiter)
                {
                    (handed ??= []).Add(waiter);
                }
                else
                {
                    freed++;
                }
            }
            if (freed > 0)
            {
                if (_count + freed > _max)
                {
                    throw new SemaphoreFullException($"Releasing {freed} more permit(s) would exceed the maximum of {_max}.");
                }
                _count += freed;
            }
        }
        // Outside the lock: the waiters' continuations run asynchronously anyway.
        foreach (var waiter in handed ?? [])
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Takes the next waiter out of its line (under the lock), or null when nobody waits.</summary>
    private TaskCompletionSource? Next()
    {
        LinkedList<TaskCompletionSource> line;
        if (_urgent.First is not null && (_normal.First is null || _overtakes < MaxOvertakes))
        {
            // Only a turn taken from a waiting normal waiter counts as an overtake.
            _overtakes = _normal.First is null ? 0 : _overtakes + 1;
            line = _urgent;
        }
        else if (_normal.First is not null)
        {
            _overtakes = 0;
            line = _normal;
        }
        else
        {
            return null;
        }
        var waiter = line.First!.Value;
        line.RemoveFirst();
        return waiter;
    }
}
