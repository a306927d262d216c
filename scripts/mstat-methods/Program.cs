using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

// Reads an ILCompiler .mstat (IlcGenerateMstatFile=true): an assembly whose <Module>::Methods IL lists, per compiled
// method, "ldtoken method; ldc.i4 size; ...". Prints the bytes of methods whose owner or type arguments mention args[1],
// per owner type, or per method with a third argument "--methods" (to see which generated method costs what).
using var pe = new PEReader(File.OpenRead(args[0]));
var md = pe.GetMetadataReader();
var filter = args.Length > 1 ? args[1] : "";
var provider = new Names(md);
var module = md.GetTypeDefinition(md.TypeDefinitions.First());
var methods = module.GetMethods().Select(md.GetMethodDefinition).First(m => md.GetString(m.Name) == "Methods");
var il = pe.GetMethodBody(methods.RelativeVirtualAddress).GetILBytes()!;
var perMethod = args.Length > 2 && args[2] == "--methods";
var totals = new Dictionary<string, int>();
int total = 0, all = 0;
// Walk the IL opcode by opcode (a byte-wise scan would mistake operand bytes for ldtoken).
string? current = null;
for (int i = 0; i < il.Length;)
{
    if (il[i] == 0xD0)
    {
        current = Describe(MetadataTokens.EntityHandle(BitConverter.ToInt32(il, i + 1)));
        i += 5;
        int size = ReadInt(il, ref i);
        all += size;
        if (!current.Contains(filter, StringComparison.Ordinal)) continue;
        var owner = perMethod ? current : current[..current.IndexOf("::", StringComparison.Ordinal)];
        totals[owner] = totals.GetValueOrDefault(owner) + size;
        total += size;
    }
    else
    {
        ReadInt(il, ref i);
    }
}

foreach (var (owner, size) in totals.OrderByDescending(p => p.Value)) Console.WriteLine($"{size,8}  {owner}");
Console.WriteLine($"{total,8}  method bytes mentioning '{filter}' (of {all} in all methods)");

static int ReadInt(byte[] il, ref int i)
{
    byte op = il[i++];
    if (op >= 0x15 && op <= 0x1E) return op - 0x16;
    if (op == 0x1F) return (sbyte)il[i++];
    if (op == 0x20) { int v = BitConverter.ToInt32(il, i); i += 4; return v; }
    if (op == 0x72) i += 4; // ldstr
    return 0;
}

string Describe(EntityHandle handle)
{
    switch (handle.Kind)
    {
        case HandleKind.MethodSpecification:
            var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
            return Describe(spec.Method) + "<" + string.Join(",", spec.DecodeSignature(provider, null)) + ">";
        case HandleKind.MemberReference:
            var member = md.GetMemberReference((MemberReferenceHandle)handle);
            return provider.Owner(member.Parent) + "::" + md.GetString(member.Name);
        case HandleKind.MethodDefinition:
            var def = md.GetMethodDefinition((MethodDefinitionHandle)handle);
            return provider.GetTypeFromDefinition(md, def.GetDeclaringType(), 0) + "::" + md.GetString(def.Name);
        default:
            return handle.Kind.ToString();
    }
}

sealed class Names : ISignatureTypeProvider<string, object?>
{
    private readonly MetadataReader _md;
    public Names(MetadataReader md) => _md = md;
    public string Owner(EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => GetTypeFromReference(_md, (TypeReferenceHandle)parent, 0),
        HandleKind.TypeDefinition => GetTypeFromDefinition(_md, (TypeDefinitionHandle)parent, 0),
        HandleKind.TypeSpecification => _md.GetTypeSpecification((TypeSpecificationHandle)parent).DecodeSignature(this, null),
        _ => parent.Kind.ToString(),
    };
    public string GetArrayType(string e, ArrayShape s) => e + "[,]";
    public string GetByReferenceType(string e) => e + "&";
    public string GetFunctionPointerType(MethodSignature<string> s) => "fnptr";
    public string GetGenericInstantiation(string g, ImmutableArray<string> a) => g + "<" + string.Join(",", a) + ">";
    public string GetGenericMethodParameter(object? c, int i) => "!!" + i;
    public string GetGenericTypeParameter(object? c, int i) => "!" + i;
    public string GetModifiedType(string m, string u, bool r) => u;
    public string GetPinnedType(string e) => e;
    public string GetPointerType(string e) => e + "*";
    public string GetPrimitiveType(PrimitiveTypeCode t) => t.ToString();
    public string GetSZArrayType(string e) => e + "[]";
    public string GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte k)
    {
        var t = r.GetTypeDefinition(h);
        var outer = t.GetDeclaringType();
        return (outer.IsNil ? r.GetString(t.Namespace) + "." : GetTypeFromDefinition(r, outer, k) + "+") + r.GetString(t.Name);
    }
    public string GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte k)
    {
        var t = r.GetTypeReference(h);
        return (t.ResolutionScope.Kind == HandleKind.TypeReference ? GetTypeFromReference(r, (TypeReferenceHandle)t.ResolutionScope, k) + "+" : r.GetString(t.Namespace) + ".") + r.GetString(t.Name);
    }
    public string GetTypeFromSpecification(MetadataReader r, object? c, TypeSpecificationHandle h, byte k) => r.GetTypeSpecification(h).DecodeSignature(this, c);
}
