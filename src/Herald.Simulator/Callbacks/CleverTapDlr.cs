namespace Herald.Simulator.Callbacks;

/// <summary>
/// One event group of a CleverTap DLR callback body; the body is an array of these:
/// <c>[{"event":"failed","data":[{"ts":1654512921,"meta":"&lt;message_id&gt;","code":"901","description":"DND Failure"}]}]</c>.
/// </summary>
internal sealed record CleverTapDlrGroup(string Event, CleverTapDlrEvent[] Data);

/// <param name="Ts">Epoch seconds of the event.</param>
/// <param name="Meta">The <c>message_id</c> of the send, unchanged.</param>
/// <param name="Code">Failure code (<c>failed</c> only), e.g. <c>"901"</c>.</param>
/// <param name="Description">Human-readable status.</param>
internal sealed record CleverTapDlrEvent(long Ts, string Meta, string? Code, string Description);
