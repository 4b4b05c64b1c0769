using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security.BadInput;

/// <summary>A form a dashboard page handles: its name (<c>_handler</c>) and the field names its model binds.</summary>
public sealed record FormModel(string FormName, IReadOnlyList<string> Fields);

/// <summary>One route of the running app, as the bad-input suite sees it.</summary>
public sealed record RouteInfo(
    string Pattern,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> RouteParameters,
    IReadOnlyList<string> QueryNames,
    Type? BodyType,
    IReadOnlyList<FormModel> Forms,
    bool IsPage)
{
    public string Key => $"{string.Join('|', Methods)} {Pattern}";

    public bool IsApi => Pattern.StartsWith("/api/", StringComparison.Ordinal);

    public bool TakesBody => Methods.Any(m => m is "POST" or "PUT" or "PATCH");
}

/// <summary>Every route of a running Herald, read from its <see cref="EndpointDataSource"/>: a new route is covered without editing the suite.</summary>
internal static class RouteCatalog
{
    public static IReadOnlyList<RouteInfo> Read(IServiceProvider services)
    {
        var routes = new Dictionary<string, RouteInfo>(StringComparer.Ordinal);
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared
                ? declared.Where(m => m != "HEAD" && m != "OPTIONS").ToList()
                : ["GET", "POST"];
            if (methods.Count == 0)
            {
                continue;
            }
            var parameters = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToList();
            var component = endpoint.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type;
            var method = endpoint.Metadata.GetMetadata<MethodInfo>();
            var query = new List<string>();
            Type? body = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            var forms = new List<FormModel>();
            if (component is not null)
            {
                foreach (var property in component.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    if (property.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is { } fromQuery)
                    {
                        query.Add(fromQuery.Name ?? property.Name);
                    }
                    if (property.GetCustomAttribute<SupplyParameterFromFormAttribute>() is { } fromForm)
                    {
                        forms.Add(new FormModel(fromForm.FormName ?? "", FieldsOf(fromForm.Name ?? property.Name, property.PropertyType, 0)));
                    }
                }
            }
            else if (method is not null)
            {
                foreach (var parameter in method.GetParameters())
                {
                    if (parameter.Name is null || parameters.Contains(parameter.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
                    if (IsSimple(type))
                    {
                        query.Add(parameter.Name);
                    }
                    else if (body is null && IsBodyModel(type))
                    {
                        body = type;
                    }
                }
            }
            var info = new RouteInfo(pattern, methods, parameters, query, body, forms, component is not null);
            // The same pattern may be mapped twice (GET and POST separately): merge.
            if (routes.TryGetValue(info.Pattern, out var existing))
            {
                info = existing with
                {
                    Methods = [.. existing.Methods.Union(info.Methods)],
                    QueryNames = [.. existing.QueryNames.Union(info.QueryNames)],
                    BodyType = existing.BodyType ?? info.BodyType,
                    Forms = [.. existing.Forms.Concat(info.Forms)],
                };
            }
            routes[info.Pattern] = info;
        }
        return [.. routes.Values.OrderBy(r => r.Pattern, StringComparer.Ordinal)];
    }

    public static bool IsSimple(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTimeOffset)
        || type == typeof(DateTime) || type == typeof(TimeSpan) || type == typeof(Guid);

    private static bool IsBodyModel(Type type) =>
        type.Namespace?.StartsWith("Herald", StringComparison.Ordinal) == true && !type.IsInterface && !type.IsAbstract
        && type.GetConstructors().Any(c => c.GetParameters().Length > 0 || type.GetProperties().Any(p => p.CanWrite));

    private static List<string> FieldsOf(string prefix, Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsSimple(type) || depth > 2)
        {
            return [prefix];
        }
        if (type != typeof(string) && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
        {
            var item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().LastOrDefault() ?? typeof(string);
            return FieldsOf($"{prefix}[0]", item, depth + 1);
        }
        var fields = new List<string>();
        foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.CanWrite))
        {
            fields.AddRange(FieldsOf($"{prefix}.{property.Name}", property.PropertyType, depth + 1));
        }
        return fields.Count > 0 ? fields : [prefix];
    }
}
