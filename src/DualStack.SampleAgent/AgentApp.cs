using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent;

/// <summary>The one place that builds the sample agent's web application, for Program and in-process hosting alike.</summary>
internal static class AgentApp
{
    internal const int DefaultMemoryPageSize = 500;
    internal const int MaxMemoryPageSize = 10_000;
    private static readonly TimeSpan s_integrationTimeout = TimeSpan.FromSeconds(5);

    /// <param name="options">Validated options.</param>
    /// <param name="hostArgs">Arguments for the ASP.NET host (such as <c>--urls</c>).</param>
    /// <param name="inProcess">Listen on 127.0.0.1 with a free port and log warnings only.</param>
    /// <param name="time">Clock for timestamps and delays; default the system clock.</param>
    public static WebApplication Build(SampleAgentOptions options, string[] hostArgs, bool inProcess, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = hostArgs,
            ApplicationName = typeof(AgentApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        if (inProcess)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
        builder.Services.AddProblemDetails();

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(new FaultState(options.Faults));
        builder.Services.AddSingleton(new AgentRandom(options.Seed));
        builder.Services.AddSingleton<MemoryStore>();
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddSingleton<ReplyWriter>();
        builder.Services.AddSingleton<AgentEngine>();
        if (options.IntegrationsBaseUrl is { } baseUrl)
        {
            var baseAddress = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
            builder.Services
                .AddHttpClient(HttpIntegrationGateway.ClientName, client =>
                {
                    client.BaseAddress = baseAddress;
                    client.Timeout = s_integrationTimeout;
                })
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    // A sandbox on loopback must not be sent through an HTTP_PROXY from the environment.
                    UseProxy = !baseAddress.IsLoopback,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectTimeout = s_integrationTimeout,
                })
                .RemoveAllLoggers();
            builder.Services.AddSingleton<IIntegrationGateway, HttpIntegrationGateway>();
        }
        else
        {
            builder.Services.AddSingleton<IIntegrationGateway, FixtureIntegrationGateway>();
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        MapEndpoints(app);
        return app;
    }

    internal static string Version(string profile)
    {
        var assembly = typeof(AgentApp).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return $"{profile}/{(plus < 0 ? version : version[..plus])}";
    }

    private static void MapEndpoints(WebApplication app)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapPost("/conversations/{conversationId}/turns", async (string conversationId, HttpRequest request, AgentEngine engine, CancellationToken cancellationToken) =>
        {
            var (turn, problem) = await ReadJsonAsync<TurnRequest>(request, cancellationToken).ConfigureAwait(false);
            if (turn is null)
            {
                return problem!;
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (string.IsNullOrWhiteSpace(turn.UserId))
            {
                errors["userId"] = ["'userId' is required and must not be empty"];
            }

            if (string.IsNullOrWhiteSpace(turn.Message))
            {
                errors["message"] = ["'message' is required and must not be empty"];
            }

            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, detail: string.Join("; ", errors.Values.SelectMany(e => e)));
            }

            var outcome = await engine.HandleAsync(conversationId, turn.UserId!, turn.Message!, cancellationToken).ConfigureAwait(false);
            return outcome.Response is { } response
                ? Results.Ok(response)
                : Results.Problem(title: "injected fault", detail: $"fault '{outcome.InjectedFault}' failed this turn", statusCode: StatusCodes.Status500InternalServerError);
        });

        v1.MapGet("/memory", (string? userId, string? since, string? limit, MemoryStore memory) =>
        {
            long after = 0;
            if (!string.IsNullOrEmpty(since) && (!long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
            {
                return BadRequest($"'since' must be a cursor returned by this endpoint, not '{since}'");
            }

            var pageSize = DefaultMemoryPageSize;
            if (!string.IsNullOrEmpty(limit)
                && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxMemoryPageSize))
            {
                return BadRequest($"'limit' must be a whole number from 1 to {MaxMemoryPageSize}, not '{limit}'");
            }

            var page = memory.ReadSince(string.IsNullOrEmpty(userId) ? null : userId, after, pageSize);
            return Results.Ok(new MemoryListDto(
                page.Entries.Select(MemoryEntryDto.From).ToArray(),
                page.Cursor.ToString(CultureInfo.InvariantCulture)));
        });

        v1.MapPut("/memory/{id}", async (string id, HttpRequest request, MemoryStore memory, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var (entry, problem) = await ReadJsonAsync<MemoryUpsertRequest>(request, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return problem!;
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (string.IsNullOrWhiteSpace(entry.UserId))
            {
                errors["userId"] = ["'userId' is required and must not be empty"];
            }

            if (string.IsNullOrWhiteSpace(entry.Text))
            {
                errors["text"] = ["'text' is required and must not be empty"];
            }

            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, detail: string.Join("; ", errors.Values.SelectMany(e => e)));
            }

            var stored = memory.Upsert(id, entry.UserId!, entry.Text!, entry.ConversationId, entry.CreatedAt, time.GetUtcNow());
            return Results.Ok(MemoryEntryDto.From(stored));
        });

        v1.MapGet("/health", (SampleAgentOptions options, FaultState faults) =>
        {
            var profile = SampleAgentOptionsParser.NormalizeProfile(options.Profile) ?? options.Profile;
            return Results.Ok(new HealthDto("ok", Version(profile), profile, faults.Current.Names));
        });

        v1.MapPost("/webhooks/{name}", async (string name, HttpRequest request, WebhookStore webhooks, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ReadJsonAsync<JsonObject>(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return problem!;
            }

            if (body["conversationId"] is not JsonValue value || !value.TryGetValue<string>(out var conversationId) || string.IsNullOrWhiteSpace(conversationId))
            {
                return BadRequest("'conversationId' is required in the webhook body and must be a non-empty string");
            }

            webhooks.Add(new WebhookDto(name, conversationId, time.GetUtcNow()));
            return Results.Accepted(value: new WebhookAcceptedDto(true, conversationId));
        });

        v1.MapGet("/webhooks", (WebhookStore webhooks) => Results.Ok(webhooks.List()));

        v1.MapGet("/admin/faults", (FaultState faults) => Results.Ok(new FaultsDto(faults.Current.Names)));

        v1.MapPost("/admin/faults", async (HttpRequest request, FaultState faults, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ReadJsonAsync<FaultsDto>(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return problem!;
            }

            if (body.Faults is null)
            {
                return BadRequest("'faults' is required: a list such as [\"errors:10\"], or [] for none");
            }

            try
            {
                var set = faults.Set(body.Faults);
                Log.FaultsReplaced(loggers.CreateLogger(typeof(AgentApp).FullName!), string.Join(", ", set.Names));
                return Results.Ok(new FaultsDto(set.Names));
            }
            catch (ArgumentException ex)
            {
                return BadRequest(ex.Message);
            }
        });
    }

    private static IResult BadRequest(string detail) =>
        Results.Problem(title: "invalid request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    private static async Task<(T? Value, IResult? Problem)> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, AgentJson.Options, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, BadRequest("request body must be a JSON object")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"request body is not valid JSON for this endpoint: {ex.Message}"));
        }
    }
}
