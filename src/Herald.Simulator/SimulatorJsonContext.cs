using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Simulator.Callbacks;
using Herald.Simulator.Connector;
using Herald.Simulator.Inspection;
using Herald.Simulator.Kaleyra;

namespace Herald.Simulator;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConnectorAccepted))]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(CleverTapDlrGroup[]))]
[JsonSerializable(typeof(RecordedRequest[]))]
[JsonSerializable(typeof(RecordedCallback[]))]
[JsonSerializable(typeof(SimulatorStats))]
[JsonSerializable(typeof(Herald.Simulator.Kaleyra.SimulatedInbound))]
[JsonSerializable(typeof(Herald.Simulator.Kaleyra.SimulatedInboundResult))]
[JsonSerializable(typeof(KaleyraSendAccepted))]
[JsonSerializable(typeof(KaleyraStatusResponse))]
internal sealed partial class SimulatorJsonContext : JsonSerializerContext;
