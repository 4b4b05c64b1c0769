namespace Herald.Core.DeliveryReports;

/// <summary>
/// Told how many messages each provider accepted, so the reports they bring back are expected: the callback endpoints' flood
/// guard lets expected reports in at the rate Herald sent their messages, however fast that is (a provider that gives up after
/// its retries would otherwise lose them for good).
/// </summary>
public interface IReportExpectations
{
    /// <summary>Records that <paramref name="providerId"/> accepted <paramref name="messages"/> more messages.</summary>
    void Accepted(string providerId, int messages);
}
