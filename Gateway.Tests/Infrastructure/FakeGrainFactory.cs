using System.Reflection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// An <see cref="IGrainFactory"/> that hands out plain objects for string-keyed grains, so a front-side class
/// can be tested against a scripted grain with no cluster (and on a fake clock the grain's timeouts cannot see).
/// </summary>
public class FakeGrainFactory : DispatchProxy
{
    private Func<Type, string, object> _resolve = (type, key) => throw new InvalidOperationException($"no {type.Name} '{key}'");

    public static IGrainFactory Create(Func<Type, string, object> resolve)
    {
        var factory = Create<IGrainFactory, FakeGrainFactory>();
        ((FakeGrainFactory)(object)factory)._resolve = resolve;
        return factory;
    }

    /// <summary>Every string key resolves to <paramref name="grain"/>.</summary>
    public static IGrainFactory Of<TGrain>(TGrain grain) where TGrain : IGrainWithStringKey =>
        Create((type, key) => type.IsInstanceOfType(grain) ? grain : throw new InvalidOperationException($"no {type.Name} '{key}'"));

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && args is [string key, ..])
        {
            return _resolve(targetMethod.GetGenericArguments()[0], key);
        }
        throw new NotSupportedException($"{targetMethod?.Name} is not faked");
    }
}
