using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>
/// This front's slice of one key's buckets. Requests are admitted from the slice without a network
/// hop; a renewal (one grain call, shared by every request waiting on it) returns what is left and
/// asks for about as much as the last second used. A renewal starts early when the slice runs low,
/// so a hot key rarely waits; at a key at its limit (the grain gave less than asked) it waits for a
/// request, so no slice sits here unused while other fronts refuse. Slices were deducted at the grain when granted, so the cluster can
/// never admit more than the buckets hold; what a front holds unused is returned within a second.
/// A key with a budget works the same way in USD: the slice is budget headroom, each request takes its
/// worst-case cost from it, and that stays held until the request's charge reaches the grain.
/// </summary>
internal sealed class KeyLeaseHolder(string keyId, string frontId, IGrainFactory grains, AdmissionOptions options, TimeProvider time)
{
    private const int MaxAttempts = 4;
    private readonly object _gate = new();
    private long _requests;
    private long _inputTokens;
    private long _outputTokens;
    private DateTimeOffset _validUntil;
    private Lease? _lease;

    /// <summary>Until when the last lease's request denial stands, so refusals need no grain call.</summary>
    private DateTimeOffset _deniedUntil;
    private Task<Lease>? _renewal;

    /// <summary>
    /// The last renewal got less than it asked for (or was refused): the key is at its limit, so this front renews
    /// only when a request needs it. A slice fetched ahead would sit here while other fronts refuse requests.
    /// </summary>
    private bool _contended;
    private long _admittedSinceRenewal;

    /// <summary>When this holder was made: a holder whose first lease is still on its way is not idle.</summary>
    private readonly DateTimeOffset _createdAt = time.GetUtcNow();

    /// <summary>The book forgot this holder as idle: a request that still reached it asks the book again.</summary>
    private bool _retired;

    /// <summary>Numbers this holder's renewals, so the grain answers a retried one with the lease it already granted.</summary>
    private long _sequence;
    private DateTimeOffset _renewedAt;
    private double _requestsPerSecond;
    private double _averageInput;
    private double _averageOutput;

    /// <summary>Streams open on this key through this front, and this front's share of the key's concurrency limit.</summary>
    private int _activeStreams;
    private int? _streamQuota;

    /// <summary>
    /// Budget (keys with one): this front's USD slice, the worst cases of its requests not yet charged
    /// (running, or ended with the charge on its way), and the grain activation holding both. Holds whose
    /// charge is acknowledged while a renewal is in flight may have been declared to a new activation in
    /// it: they are handed back to it on the next call (<see cref="_orphanUsd"/>).
    /// </summary>
    private decimal _usd;
    private decimal _inFlightUsd;
    private decimal _releasedDuringRenewal;
    private decimal _orphanUsd;
    private Guid _budgetEpoch;
    private decimal _averageUsd;

    /// <summary>Counts renewals started: a hold released during a renewal was declared in it only if taken before it began.</summary>
    private long _renewalGeneration;

    /// <summary>The smallest worst case the last lease's budget denial refused: requests costing less may still fit.</summary>
    private decimal _deniedUsd = decimal.MaxValue;

    public string KeyId => keyId;

    public string FrontId => frontId;

    /// <summary>The key grain's activation this front's budget holds are with (default: none yet).</summary>
    public Guid BudgetEpoch
    {
        get
        {
            lock (_gate)
            {
                return _budgetEpoch;
            }
        }
    }

    /// <summary>Admits a request needing the given tokens, renewing the lease when it must.</summary>
    public async ValueTask<Admission> AdmitAsync(KeyDescriptor key, long inputTokens, long outputTokens, bool stream = false, decimal worstUsd = 0)
    {
        var limitStreams = stream && key.Limits.ConcurrentStreams is not null;
        for (var attempt = 0; ; attempt++)
        {
            Task<Lease> renewal;
            lock (_gate)
            {
                if (_retired)
                {
                    // A slice taken now would be stranded: nothing sweeps a holder the book no longer has.
                    return default(Admission) with { Retired = true };
                }
                var now = time.GetUtcNow();
                if (_lease is { } lease && now < _validUntil)
                {
                    if (lease.Key.Revoked || lease.Denial is { Reason: DenialReason.Revoked }
                        || (lease.Denial is { Reason: DenialReason.DailyBudget or DenialReason.MonthlyBudget } && worstUsd >= _deniedUsd))
                    {
                        return Admission.Deny(lease.Key, lease.Snapshot, lease.Denial!);
                    }
                    if (attempt == 0 && now < _deniedUntil && lease.Denial is { Reason: DenialReason.Requests } standing
                        && !Fits(lease, inputTokens, outputTokens))
                    {
                        return Admission.Deny(lease.Key, lease.Snapshot, standing with { RetryAfter = _deniedUntil - now });
                    }
                    var slotFree = !limitStreams || _activeStreams < (_streamQuota ?? int.MaxValue);
                    // Refused only after a renewal that asked for this stream too: concurrent first requests
                    // share one renewal, which asked for as many slots as were open before any of them
                    // (found by the upstream-fault accounting test: a key limited to 2 streams got a 429
                    // on its second stream while only one was open).
                    if (!slotFree && attempt > 1)
                    {
                        return Admission.Deny(lease.Key, lease.Snapshot, new LeaseDenial
                        {
                            Reason = DenialReason.ConcurrentStreams,
                            Message = $"This API key's limit of {key.Limits.ConcurrentStreams} concurrent streams is reached; retry when one ends.",
                            RetryAfter = TimeSpan.FromSeconds(1),
                        });
                    }
                    if (slotFree && Fits(lease, inputTokens, outputTokens) && (lease.Usd is null || _usd >= worstUsd))
                    {
                        Take(lease, inputTokens, outputTokens);
                        var hold = lease.Usd is null || worstUsd <= 0 ? null : HoldBudget(worstUsd);
                        IDisposable? slot = null;
                        if (limitStreams)
                        {
                            _activeStreams++;
                            slot = new StreamSlot(this);
                        }
                        if (RunningLow(lease, now))
                        {
                            EnsureRenewal(inputTokens, outputTokens, returnLeftovers: false);
                        }
                        return Admission.Allow(lease.Key, lease.Snapshot) with { StreamSlot = slot, Budget = hold };
                    }
                    if (attempt > 0 && lease.Denial is { } denial)
                    {
                        return Admission.Deny(lease.Key, lease.Snapshot, denial);
                    }
                }
                if (attempt >= MaxAttempts)
                {
                    var last = _lease;
                    return Admission.Deny(last?.Key ?? key, last?.Snapshot, last?.Denial ?? new LeaseDenial
                    {
                        Reason = DenialReason.Requests,
                        Message = "This API key's rate limit is exceeded; retry shortly.",
                        RetryAfter = TimeSpan.FromSeconds(1),
                    });
                }
                // The USD slice goes back with the call, so the grain can count it toward this request's worst case.
                renewal = EnsureRenewal(inputTokens, outputTokens, returnLeftovers: now >= _validUntil, wantedStreams: limitStreams ? _activeStreams + 1 : _activeStreams,
                    worstUsd: worstUsd, returnUsd: true);
            }
            await renewal;
        }
    }

    /// <summary>Returns an expired slice's leftovers to the grain, so an idle front holds nothing back.</summary>
    public async Task ReturnIfExpiredAsync()
    {
        LeaseRequest? request = null;
        long generation = 0;
        lock (_gate)
        {
            // Unlimited buckets' slices are not counted anywhere: only limited leftovers (and money) are worth a call.
            if (_renewal is not { IsCompleted: false } && time.GetUtcNow() >= _validUntil
                && (LimitedLeftovers() || _usd > 0 || _orphanUsd > 0))
            {
                // The open streams keep their share while the rest is handed back. It asks for no request, so the
                // grain takes nothing for it.
                request = HandBackUsd(HandBackLeftovers(new LeaseRequest { FrontId = frontId, ActiveStreams = _activeStreams, WantedStreams = _activeStreams }));
                generation = _renewalGeneration;
            }
        }
        if (request is not null)
        {
            var lease = await grains.GetGrain<IApiKeyGrain>(keyId).AcquireLeaseAsync(request).WaitAsync(options.GrainCallTimeout);
            lock (_gate)
            {
                if (generation == _renewalGeneration)
                {
                    // A renewal that started meanwhile brought a newer lease: keep it.
                    _lease = lease;
                }
                ApplyBudget(lease, request);
            }
        }
    }

    /// <summary>
    /// Nothing in flight, nothing held, and no lease for five minutes (counted from its creation while it has had none:
    /// a fresh holder's first renewal takes a moment, and forgetting it then stranded that renewal's slice).
    /// </summary>
    public bool IsIdle(DateTimeOffset now)
    {
        lock (_gate)
        {
            return IdleLocked(now);
        }
    }

    /// <summary>Retires the holder if it is idle; a retired holder admits nothing more (its requests go to the book's new one).</summary>
    public bool TryRetire(DateTimeOffset now)
    {
        lock (_gate)
        {
            _retired = IdleLocked(now);
            return _retired;
        }
    }

    private bool IdleLocked(DateTimeOffset now) =>
        _renewal is not { IsCompleted: false } && _activeStreams == 0 && _inFlightUsd == 0
        && now - (_validUntil > _createdAt ? _validUntil : _createdAt) > TimeSpan.FromMinutes(5);

    private static bool Unlimited(BucketLevel? level) => level is null;

    private bool LimitedLeftovers() =>
        (_requests > 0 && !Unlimited(_lease?.Snapshot.Requests))
        || (_inputTokens > 0 && !Unlimited(_lease?.Snapshot.InputTokens))
        || (_outputTokens > 0 && !Unlimited(_lease?.Snapshot.OutputTokens));

    /// <summary>Moves what is left of the slice into <paramref name="request"/> (limited buckets only) and empties it. Under the lock.</summary>
    private LeaseRequest HandBackLeftovers(LeaseRequest request)
    {
        request = request with
        {
            ReturnedRequests = Unlimited(_lease?.Snapshot.Requests) ? 0 : _requests,
            ReturnedInputTokens = Unlimited(_lease?.Snapshot.InputTokens) ? 0 : _inputTokens,
            ReturnedOutputTokens = Unlimited(_lease?.Snapshot.OutputTokens) ? 0 : _outputTokens,
        };
        _requests = _inputTokens = _outputTokens = 0;
        return request;
    }

    /// <summary>The budget side of a call: the unused USD slice and orphaned holds handed back, in-flight worst cases declared. Under the lock.</summary>
    private LeaseRequest HandBackUsd(LeaseRequest request)
    {
        request = request with
        {
            ReturnedUsd = _usd + _orphanUsd,
            BudgetEpoch = _budgetEpoch,
            InFlightUsd = _inFlightUsd,
        };
        _usd = _orphanUsd = 0;
        return request;
    }

    /// <summary>
    /// Takes a lease's USD slice. A new grain activation took over what this call declared (running requests,
    /// the slice kept), so those stay usable; holds released while the call was in flight go back to it. Under the lock.
    /// </summary>
    private void ApplyBudget(Lease lease, LeaseRequest request)
    {
        if (lease.BudgetEpoch != _budgetEpoch)
        {
            if (_budgetEpoch != default)
            {
                _orphanUsd += _releasedDuringRenewal;
            }
            _budgetEpoch = lease.BudgetEpoch;
        }
        _releasedDuringRenewal = 0;
        _usd += lease.Usd ?? 0;
        _deniedUsd = lease.Denial is { Reason: DenialReason.DailyBudget or DenialReason.MonthlyBudget } ? request.MinUsd : decimal.MaxValue;
    }

    /// <summary>Moves a request's worst case from the slice to the running requests. Under the lock.</summary>
    private BudgetHold HoldBudget(decimal usd)
    {
        _usd -= usd;
        _inFlightUsd += usd;
        _averageUsd = _averageUsd == 0 ? usd : _averageUsd * 0.9m + usd * 0.1m;
        return new BudgetHold(this, usd, _renewalGeneration);
    }

    /// <summary>A request's charge reached the grain: its worst case is no longer declared here.</summary>
    internal void ReleaseBudget(decimal usd, long generation)
    {
        lock (_gate)
        {
            _inFlightUsd = Math.Max(0, _inFlightUsd - usd);
            if (_renewal is { IsCompleted: false } && generation < _renewalGeneration)
            {
                _releasedDuringRenewal += usd;
            }
        }
    }

    private bool Fits(Lease lease, long inputTokens, long outputTokens) =>
        (Unlimited(lease.Snapshot.Requests) || _requests >= 1)
        && (Unlimited(lease.Snapshot.InputTokens) || _inputTokens >= inputTokens || (_inputTokens > 0 && inputTokens > lease.Snapshot.InputTokens!.Value.Limit))
        && (Unlimited(lease.Snapshot.OutputTokens) || _outputTokens >= outputTokens || (_outputTokens > 0 && outputTokens > lease.Snapshot.OutputTokens!.Value.Limit));

    private void Take(Lease lease, long inputTokens, long outputTokens)
    {
        _requests--;
        _inputTokens -= Math.Min(_inputTokens, inputTokens);
        _outputTokens -= Math.Min(_outputTokens, outputTokens);
        _admittedSinceRenewal++;
        _averageInput = _averageInput == 0 ? inputTokens : _averageInput * 0.9 + inputTokens * 0.1;
        _averageOutput = _averageOutput == 0 ? outputTokens : _averageOutput * 0.9 + outputTokens * 0.1;
    }

    private bool RunningLow(Lease lease, DateTimeOffset now) =>
        !_contended
        && (_validUntil - now < options.LeaseDuration / 4 || (!Unlimited(lease.Snapshot.Requests) && _requests < Math.Max(1, lease.Requests / 4)));

    /// <summary>The renewal in flight, or a new one. Called under the lock.</summary>
    private Task<Lease> EnsureRenewal(long inputTokens, long outputTokens, bool returnLeftovers, int? wantedStreams = null,
        decimal worstUsd = 0, bool returnUsd = false)
    {
        if (_renewal is null || _renewal.IsCompleted)
        {
            _renewal = RenewAsync(inputTokens, outputTokens, returnLeftovers, wantedStreams ?? _activeStreams, worstUsd, returnUsd || returnLeftovers);
        }
        return _renewal;
    }

    /// <summary>
    /// While streams are open under a concurrency limit, the front's share must be renewed or it
    /// lapses at the grain (that is how a dead front's share comes back). Called by the sweeper.
    /// </summary>
    public async Task KeepStreamShareAsync()
    {
        Task<Lease>? renewal = null;
        lock (_gate)
        {
            var due = time.GetUtcNow() - _renewedAt > options.LeaseDuration / 2;
            if (_streamQuota is not null && _activeStreams > 0 && due)
            {
                renewal = EnsureRenewal(0, 0, returnLeftovers: false);
            }
            else if (_inFlightUsd > 0 && due)
            {
                // Requests still running keep their worst cases declared: a re-activated grain holds them again within
                // about half a lease. The slice is exchanged rather than added to, so a quiet front parks nothing.
                renewal = EnsureRenewal(0, 0, returnLeftovers: true);
            }
        }
        if (renewal is not null)
        {
            await renewal;
        }
    }

    private void ReleaseStream()
    {
        lock (_gate)
        {
            _activeStreams--;
        }
    }

    /// <summary>Frees one stream slot when the request ends (registered for disposal with the response).</summary>
    private sealed class StreamSlot(KeyLeaseHolder holder) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                holder.ReleaseStream();
            }
        }
    }

    private async Task<Lease> RenewAsync(long inputTokens, long outputTokens, bool returnLeftovers, int wantedStreams, decimal worstUsd, bool returnUsd)
    {
        LeaseRequest request;
        DateTimeOffset sentAt;
        lock (_gate)
        {
            sentAt = time.GetUtcNow();
            var elapsed = (sentAt - _renewedAt).TotalSeconds;
            if (_renewedAt != default && elapsed > 0)
            {
                var rate = _admittedSinceRenewal / Math.Max(elapsed, 0.05);
                _requestsPerSecond = _requestsPerSecond == 0 ? rate : _requestsPerSecond * 0.5 + rate * 0.5;
            }
            // Ask for about one lease period of this front's recent traffic, plus the waiting request.
            var wanted = Math.Max(1, (long)Math.Ceiling(_requestsPerSecond * options.LeaseDuration.TotalSeconds * 1.5));
            request = new LeaseRequest
            {
                FrontId = frontId,
                Requests = wanted,
                InputTokens = Math.Max(inputTokens, (long)(wanted * Math.Max(_averageInput, inputTokens))),
                OutputTokens = Math.Max(outputTokens, (long)(wanted * Math.Max(_averageOutput, outputTokens))),
                MinInputTokens = inputTokens,
                MinOutputTokens = outputTokens,
                ActiveStreams = _activeStreams,
                WantedStreams = wantedStreams,
                Sequence = ++_sequence,
                Usd = worstUsd > 0 || _lease?.Usd is not null ? wanted * Math.Max(_averageUsd, worstUsd) : 0,
                MinUsd = worstUsd,
            };
            if (returnLeftovers)
            {
                request = HandBackLeftovers(request);
            }
            if (returnUsd)
            {
                request = HandBackUsd(request);
            }
            else if (_budgetEpoch != default)
            {
                request = request with { BudgetEpoch = _budgetEpoch, InFlightUsd = _inFlightUsd, KeptUsd = _usd };
            }
            _admittedSinceRenewal = 0;
            _renewedAt = sentAt;
            _renewalGeneration++;
            _releasedDuringRenewal = 0;
        }

        try
        {
            var lease = await CallGrainAsync(request);
            lock (_gate)
            {
                _lease = lease;
                _streamQuota = lease.StreamQuota;
                _contended = lease.Denial is not null || lease.Requests < request.Requests
                    || lease.InputTokens < request.InputTokens || lease.OutputTokens < request.OutputTokens;
                _requests += lease.Requests;
                _inputTokens += lease.InputTokens;
                _outputTokens += lease.OutputTokens;
                ApplyBudget(lease, request);
                // Counted from when we asked, so the front never uses a slice longer than the grain allowed.
                _validUntil = sentAt + options.LeaseDuration;
                _deniedUntil = lease.Denial is { } denial ? sentAt + Min(denial.RetryAfter, options.LeaseDuration) : default;
                return lease;
            }
        }
        catch
        {
            lock (_gate)
            {
                // What was returned in the failed call is lost capacity, never extra capacity.
                _validUntil = default;
            }
            throw;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task<Lease> CallGrainAsync(LeaseRequest request)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await grains.GetGrain<IApiKeyGrain>(keyId).AcquireLeaseAsync(request).WaitAsync(options.GrainCallTimeout);
            }
            catch (Exception) when (attempt < options.GrainCallAttempts)
            {
                // A silo left or is moving the grain (Orleans re-activates it elsewhere on the next call), or the call is
                // just slow. The same activation answers the retry (same Sequence) with what the first call got; a new one
                // grants afresh, and since the failed call may have landed at the old one, the retry hands nothing back:
                // a lost slice, never a doubled one.
                request = request with { ReturnedRequests = 0, ReturnedInputTokens = 0, ReturnedOutputTokens = 0, ReturnedUsd = 0 };
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
            }
        }
    }
}
