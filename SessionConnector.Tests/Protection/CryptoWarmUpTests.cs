using System;
using System.Threading;
using SessionConnector.Protection;
using Xunit;

namespace SessionConnector.Tests.Protection;

public sealed class CryptoWarmUpTests
{
    [Fact]
    public void PrepareCryptoRunsTheWarmUpToItsEndOnceOnItsOwnThread()
    {
        // The warm-up binds the file store's C imports and starts the timer thread on its own thread before the crypto
        // load: any failure there must be contained (an exception escaping a background thread ends the process), and
        // later calls must not start a second warm-up.
        SessionStorageConnector.PrepareCrypto();
        SessionStorageConnector.PrepareCrypto();

        if (Environment.ProcessorCount < 2)
        {
            Assert.Equal(0, CryptoWarmUp.FinishedCount); // nothing to overlap with on one core, so nothing is started
            return;
        }

        Assert.True(SpinWait.SpinUntil(() => CryptoWarmUp.FinishedCount > 0, TimeSpan.FromSeconds(60)));
        SessionStorageConnector.PrepareCrypto();
        Assert.Equal(1, CryptoWarmUp.FinishedCount);
    }
}
