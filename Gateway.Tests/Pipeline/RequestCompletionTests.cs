using System.Diagnostics;
using Gateway.Front.Admission;
using Gateway.Front.Audit;
using Gateway.Front.Envelope;
using Gateway.Front.Forwarding;
using Gateway.Front.Pipeline;
using Gateway.Front.Settlement;
using Gateway.Front.Streaming;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Pipeline;

/// <summary>
/// Completion's steps, each a separate collaborator: the settlement gets the priced usage and the
/// reservation, the session counts only a settled request of a session, and the audit row carries what
/// forwarding returned.
/// </summary>
public sealed class RequestCompletionTests
{
    private static readonly KeyDescriptor Key = new() { KeyId = "key-1", TeamId = "team-1" };

    [Fact]
    public async Task A_reserved_request_is_settled_counted_for_its_session_and_audited()
    {
        var (completion, settlement, sessions, sink) = Build();
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 200;
        context.Response.Headers["request-id"] = "req_1";
        var usage = new ObservedUsage { InputTokens = 1000, OutputTokens = 200, ServedModel = "claude-sonnet-4-5" };
        var envelope = new RequestEnvelope("claude-sonnet-4-5", false, 500, null, "session-1", 1234);
        var forwarded = new ForwardOutcome("anthropic", "upstream-1", 2, usage, Stopwatch.GetTimestamp());

        await completion.CompleteAsync(context, "messages", envelope, Key, new Reservation(Key.KeyId, 300, 500), forwarded);

        var settled = Assert.Single(settlement.Calls);
        Assert.Equal("req_1", settled.RequestId);
        Assert.Equal(1000, settled.Usage.Tokens.Input);
        Assert.Equal(200, settled.Usage.Tokens.Output);
        Assert.True(settled.Usage.CostUsd > 0);
        Assert.Equal(300, settled.Reservation!.Value.InputTokens);
        var counted = Assert.Single(sessions.Calls);
        Assert.Equal(("session-1", "key-1", settled.Usage.CostUsd), counted);
        var row = Assert.Single(sink.Records);
        Assert.Equal("req_1", row.RequestId);
        Assert.Equal("messages", row.Endpoint);
        Assert.Equal("upstream-1", row.UpstreamKeyId);
        Assert.Equal(2, row.Attempts);
        Assert.Equal(settled.Usage.CostUsd, row.CostUsd);
        Assert.Equal(1234, row.RequestBytes);
    }

    [Fact]
    public async Task A_request_with_nothing_reserved_is_not_counted_for_its_session_but_still_audited()
    {
        var (completion, settlement, sessions, sink) = Build();
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 502;
        var envelope = new RequestEnvelope("claude-sonnet-4-5", true, null, null, "session-1", 10);

        await completion.CompleteAsync(context, "count_tokens", envelope, Key, null, new ForwardOutcome("anthropic", null, 1, null, Stopwatch.GetTimestamp()));

        Assert.Null(Assert.Single(settlement.Calls).Reservation);
        Assert.Empty(sessions.Calls);
        var row = Assert.Single(sink.Records);
        Assert.Equal("api_error", row.ErrorType);
        Assert.Equal(0m, row.CostUsd);
        Assert.Equal("claude-sonnet-4-5", row.ModelRequested);
        Assert.Null(row.ModelServed);
    }

    private static (RequestCompletion, RecordingSettlement, RecordingSessions, RecordingSink) Build()
    {
        var settlement = new RecordingSettlement();
        var sessions = new RecordingSessions();
        var sink = new RecordingSink();
        var completion = new RequestCompletion(new PriceTable(Options.Create(new PricingOptions())), settlement, sessions,
            new RequestAudit(sink), TimeProvider.System);
        return (completion, settlement, sessions, sink);
    }

    private sealed class RecordingSettlement : IRequestSettlement
    {
        public List<(Reservation? Reservation, string RequestId, PricedUsage Usage)> Calls { get; } = [];

        public ValueTask SettleAsync(KeyDescriptor? key, Reservation? reservation, string requestId, string? sessionId, PricedUsage usage,
            DateTimeOffset at)
        {
            Calls.Add((reservation, requestId, usage));
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RecordingSessions : ISessionSettlements
    {
        public List<(string, string, decimal)> Calls { get; } = [];

        public void Settled(string sessionId, string keyId, decimal costUsd) => Calls.Add((sessionId, keyId, costUsd));
    }

    private sealed class RecordingSink : IAuditSink
    {
        public List<AuditRecord> Records { get; } = [];

        public void Write(AuditRecord record) => Records.Add(record);
    }
}
