namespace Herald.Api.TestSms;

/// <summary>The test SMS endpoint as the OpenAPI document shows it (kept apart from the endpoint's code).</summary>
internal static class TestSmsDescription
{
    public static RouteHandlerBuilder DescribeTestSms(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<TestSmsResult>()
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .WithTags("Providers")
        .WithSummary("Send a test SMS through a provider and see the exact request and answer")
        .WithDescription("The seed's Send Test SMS form: countryCode and mobile (or to in E.164), message or templateId, and dynamicFields " +
            "for the provider's custom placeholders, matched by placeholder name or parameter key, case-insensitively. " +
            "The answer shows the request Herald sent (secrets masked), the provider's answer and the outcome.");
}
