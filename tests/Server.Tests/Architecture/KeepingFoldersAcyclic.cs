using System.Reflection;
using System.Reflection.Emit;
using Secrets.Server.Http;

namespace Secrets.Server.Tests.Architecture;

/// <summary>
/// The feature folders of src/Server (the namespaces <c>Secrets.Server.X</c>) depend on each other in one direction
/// only (docs/architecture.md). The graph is read from the compiled assembly: base types, interfaces, fields,
/// properties, method signatures, and every type, method and field token in the IL of every method body, including
/// the compiler's nested types (lambdas, async state machines), which carry most of the bodies. The root namespace
/// (ServerApp, Program) is the composition root and may depend on everything.
/// </summary>
public sealed class KeepingFoldersAcyclic
{
    private const string Root = "Secrets.Server";

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void The_folders_of_src_server_form_no_cycle()
    {
        var edges = DependencyEdges(typeof(ConjurError).Assembly);
        var inCycles = edges.Keys.Where(e => Reaches(edges, e.To, e.From)).Order().Select(e => $"{e.From} → {e.To} ({edges[e]})").ToList();

        Assert.True(inCycles.Count == 0, "Edges on folder cycles (move the helper to where its concern lives, docs/architecture.md):\n" + string.Join("\n", inCycles));
    }

    [Fact]
    public void The_graph_sees_usages_inside_method_bodies()
    {
        // The IL reader is what finds most edges; if it silently read nothing, the test above could pass vacuously.
        // A sanity check of the reading as a whole: policy handlers answer with the Http error catalog.
        var edges = DependencyEdges(typeof(ConjurError).Assembly);
        Assert.Contains(("Policies", "Http"), edges.Keys);
    }

    /// <summary>(from folder, to folder) → one example "Type → Type" that makes the edge.</summary>
    private static Dictionary<(string From, string To), string> DependencyEdges(Assembly assembly)
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in assembly.GetTypes())
        {
            var from = FolderOf(type);
            if (from is null)
            {
                continue;
            }

            foreach (var used in UsedTypes(type))
            {
                if (FolderOf(used) is { } to && to != from)
                {
                    edges.TryAdd((from, to), $"{type.FullName} uses {used.FullName}");
                }
            }
        }

        return edges;
    }

    /// <summary>The folder of a Secrets.Server type (the outermost declaring type decides); null outside folders.</summary>
    private static string? FolderOf(Type type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        var ns = type.Namespace;
        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type>();
        if (type.BaseType is { } b)
        {
            found.Add(b);
        }

        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(All).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(All).Select(p => p.PropertyType));
        var methods = type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All));
        foreach (var method in methods)
        {
            if (method is MethodInfo mi)
            {
                found.Add(mi.ReturnType);
            }

            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            found.AddRange(BodyTypes(method));
        }

        return found.SelectMany(Expand);
    }

    /// <summary>A type and, recursively, its element type and generic arguments.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType && type.GetElementType() is { } element)
        {
            foreach (var t in Expand(element))
            {
                yield return t;
            }
        }

        if (type.IsGenericType)
        {
            foreach (var t in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return t;
            }
        }
    }

    /// <summary>The types named by the type, method and field tokens of a method body's IL.</summary>
    private static IEnumerable<Type> BodyTypes(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    var token = BitConverter.ToInt32(il, i);
                    foreach (var t in Resolve(module, token, typeArgs, methodArgs))
                    {
                        yield return t;
                    }

                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    private static IEnumerable<Type> Resolve(Module module, int token, Type[]? typeArgs, Type[]? methodArgs)
    {
        MemberInfo? member;
        try
        {
            member = module.ResolveMember(token, typeArgs, methodArgs);
        }
        catch (ArgumentException)
        {
            member = null;
        }

        switch (member)
        {
            case Type t:
                yield return t;
                break;
            case FieldInfo f:
                yield return f.DeclaringType!;
                yield return f.FieldType;
                break;
            case MethodBase m:
                yield return m.DeclaringType!;
                if (m is MethodInfo mi)
                {
                    yield return mi.ReturnType;
                    foreach (var g in mi.IsGenericMethod ? mi.GetGenericArguments() : [])
                    {
                        yield return g;
                    }
                }

                foreach (var p in m.GetParameters())
                {
                    yield return p.ParameterType;
                }

                break;
        }
    }

    /// <summary>Whether <paramref name="from"/> reaches <paramref name="to"/> along the edges.</summary>
    private static bool Reaches(Dictionary<(string From, string To), string> edges, string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var node))
        {
            if (node == to)
            {
                return true;
            }

            foreach (var e in edges.Keys.Where(e => e.From == node && seen.Add(e.To)))
            {
                queue.Enqueue(e.To);
            }
        }

        return false;
    }
}
