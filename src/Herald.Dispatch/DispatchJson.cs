using System.Text.Json.Serialization;

namespace Herald.Dispatch;

/// <summary>Source-generated JSON for what the dispatcher reads on every attempt (no reflection on the hot path).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DispatchJson : JsonSerializerContext;
