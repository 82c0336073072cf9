namespace Gateway.Front.Admin;

/// <summary>A JSON field of a request: absent (<see cref="IsSet"/> false), present as null, or present with a value.</summary>
internal readonly record struct Field<T>(bool IsSet, T Value)
{
    public static Field<T> Absent => default;

    public T Or(T current) => IsSet ? Value : current;
}
