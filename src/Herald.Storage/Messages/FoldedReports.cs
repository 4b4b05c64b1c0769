using System.Globalization;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using static Herald.Storage.Messages.MessageSql;

namespace Herald.Storage.Messages;

/// <summary>
/// The plain report entries a message row carries instead of timeline rows (issue 11 §8, migration 380): a delivery report that
/// says the message was sent or delivered, whose raw callback was not kept (no detail), is appended to <c>messages.reports</c> in the UPDATE that
/// applies it, so it costs no <c>message_events</c> row (its key repeated the 32-character message id). Each entry is a record
/// separator (<c>\u001E</c>) then, split by unit separators (<c>\u001F</c>): the time (milliseconds since the message was created), the
/// event (empty when it is the state's name, <c>^</c> when it is that name capitalised, as Kaleyra's "Sent" and "Delivered"),
/// the state, the applied flag (<c>1</c>/<c>0</c>, then <c>-</c> when there is no note), the note as stored (<see cref="StoredNote"/>,
/// which may hold one unit separator itself) and last the entry's place: the message's last stored row id when it was written, which
/// the SQL appends. Read back, an entry is the row it would have been, after the stored rows with ids up to its place.
/// Only <c>sent</c> and <c>delivered</c> reports are folded: the SQL readers of <c>message_events</c> look for delivered entries only
/// for their time, which an applied folded one also keeps in <c>messages.delivered_at</c> (latency figures, campaign conversions);
/// accepted and failure entries (failure reasons, dead letters, recent failures) stay rows.
/// </summary>
internal static class FoldedReports
{
    private const char EntryMark = '\u001E';
    private const char FieldMark = '\u001F';

    /// <summary>
    /// The text to append for a report's entry at <paramref name="at"/> with <paramref name="storedNote"/> (the note as stored), before
    /// the SQL appends its place; null when the entry is not folded and stays a row (see the class).
    /// </summary>
    public static string? Of(long sinceCreated, StateChange change, bool applied, string? storedNote)
    {
        if (!Folds(change) || storedNote?.Contains(EntryMark, StringComparison.Ordinal) == true)
        {
            return null;
        }
        var state = change.Proposed!.Value.ToWire();
        var @event = change.Event == state ? "" : change.Event == Capitalized(state) ? Capital : change.Event;
        var flag = (applied ? "1" : "0") + (storedNote is null ? "-" : "");
        return string.Create(CultureInfo.InvariantCulture, $"{EntryMark}{sinceCreated}{FieldMark}{@event}{FieldMark}{state}{FieldMark}{flag}{FieldMark}{storedNote}{FieldMark}");
    }

    /// <summary>Whether <paramref name="change"/>'s entry is one the row carries (see the class), whatever the state machine decides.</summary>
    public static bool Folds(StateChange change) =>
        change is { Source: "dlr", Proposed: DeliveryState.Sent or DeliveryState.Delivered, Detail: null, DetailInReport: null, Summary: null } && IsPlain(change.Event)
        && change.Note?.Contains(EntryMark, StringComparison.Ordinal) != true;

    /// <summary>
    /// Which of <paramref name="changes"/> (applied in one transaction, in order) may go on their rows: those <see cref="Folds"/> says,
    /// unless a later change of the same message stores a row, or it
    /// is of a message held in doubt. A statement batch writes all its timeline rows at one place, so such
    /// a row could be written before the report's place is taken and the report would read after it.
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="inDoubt">Messages held in doubt after a crash: a report settles them, which their timeline says in a row of its own.</param>
    public static bool[] Foldable(IReadOnlyList<(string MessageId, StateChange Change)> changes, IReadOnlySet<string>? inDoubt)
    {
        var foldable = new bool[changes.Count];
        HashSet<string>? rowAfter = null;
        for (var i = changes.Count - 1; i >= 0; i--)
        {
            var (messageId, change) = changes[i];
            if (!Folds(change) || inDoubt?.Contains(messageId) == true)
            {
                (rowAfter ??= new(StringComparer.Ordinal)).Add(messageId);
            }
            else
            {
                foldable[i] = rowAfter?.Contains(messageId) != true;
            }
        }
        return foldable;
    }

    private const string Capital = "^";

    private static string Capitalized(string state) => string.Concat(state[..1].ToUpperInvariant(), state.AsSpan(1));

    private static bool IsPlain(string text) =>
        text.Length > 0 && text != Capital && !text.Contains(EntryMark, StringComparison.Ordinal) && !text.Contains(FieldMark, StringComparison.Ordinal);

    /// <summary>The entries <paramref name="reports"/> holds, as the rows they would have been, each with its place (also its id: a timeline's ids stay in order).</summary>
    public static List<(EventRow Row, long Seq)> Read(string messageId, long createdAt, string? reports)
    {
        var entries = new List<(EventRow, long)>();
        if (string.IsNullOrEmpty(reports))
        {
            return entries;
        }
        foreach (var entry in reports.Split(EntryMark, StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = entry.Split(FieldMark);
            if (fields.Length < 6 || !long.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sinceCreated)
                || !long.TryParse(fields[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                continue;
            }
            var noNote = fields[3].EndsWith('-');
            entries.Add((new EventRow
            {
                Id = seq, MessageId = messageId, At = createdAt + sinceCreated, Source = "dlr", State = fields[2],
                Event = fields[1] switch { "" => fields[2], Capital => Capitalized(fields[2]), var e => e },
                Applied = fields[3].StartsWith('1') ? 1 : 0, Note = noNote ? null : string.Join(FieldMark, fields[4..^1]),
            }, seq));
        }
        return entries;
    }

    /// <summary>
    /// Puts the entries a row implies (<paramref name="folded"/>, in the order they were written, and the usual success,
    /// <paramref name="accepted"/>) among its stored <paramref name="rows"/> (in id order): each after the rows with ids up to its
    /// place; of the implied entries with one place, in the order they happened (the success first when at the same time).
    /// </summary>
    public static List<EventRow> Merge(List<EventRow> rows, (EventRow Row, long Seq)? accepted, List<(EventRow Row, long Seq)> folded)
    {
        if (accepted is { } a)
        {
            var place = 0;
            while (place < folded.Count && (folded[place].Seq < a.Seq || (folded[place].Seq == a.Seq && folded[place].Row.At < a.Row.At)))
            {
                place++;
            }
            folded.Insert(place, a);
        }
        if (folded.Count == 0)
        {
            return rows;
        }
        var merged = new List<EventRow>(rows.Count + folded.Count);
        var next = 0;
        foreach (var row in rows)
        {
            while (next < folded.Count && folded[next].Seq < row.Id)
            {
                merged.Add(folded[next++].Row);
            }
            merged.Add(row);
        }
        while (next < folded.Count)
        {
            merged.Add(folded[next++].Row);
        }
        return merged;
    }
}
