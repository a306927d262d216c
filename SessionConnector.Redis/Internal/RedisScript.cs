using System;
using System.Security.Cryptography;
using System.Text;

namespace SessionConnector.Redis.Internal;

/// <summary>A script's text and its SHA-1, for <c>EVALSHA</c> on a chosen server.</summary>
internal sealed class RedisScript(string text)
{
    public string Text { get; } = text;

    public string Sha1 { get; } = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
