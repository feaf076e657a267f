//! Network checks: irqbalance running, and how each NIC's queues and IRQs are spread over CPUs.

use crate::status::Finding;
use crate::sysroot::SysRoot;
use std::collections::BTreeSet;

/// One line of `/proc/interrupts` for a numbered IRQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrqLine {
    pub irq: u32,
    /// Interrupt count per CPU column.
    pub counts: Vec<u64>,
    /// The action name (last field), e.g. `virtio2-input.0` or `eth0-TxRx-3`.
    pub name: String,
}

/// Numbered IRQ lines of a `/proc/interrupts` text.
pub fn parse_interrupts(text: &str) -> Vec<IrqLine> {
    let mut lines = text.lines();
    let cpus = lines.next().map_or(0, |h| h.split_whitespace().count());
    lines
        .filter_map(|l| {
            let (irq, rest) = l.trim_start().split_once(':')?;
            let irq: u32 = irq.parse().ok()?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let counts: Vec<u64> = fields.iter().take(cpus).map_while(|f| f.parse().ok()).collect();
            let name = fields.last()?.to_string();
            Some(IrqLine { irq, counts, name })
        })
        .collect()
}

/// Whether an IRQ action name belongs to `dev` (`virtio2` matches `virtio2-input.0`, not `virtio21-…`).
pub fn irq_belongs_to(irq_name: &str, dev: &str) -> bool {
    irq_name.match_indices(dev).any(|(i, _)| {
        let before_ok = i == 0 || !irq_name.as_bytes()[i - 1].is_ascii_alphanumeric();
        let after = irq_name.as_bytes().get(i + dev.len());
        before_ok && after.is_none_or(|b| !b.is_ascii_digit())
    })
}

/// Whether a process named irqbalance runs (scans `/proc/<pid>/comm`).
pub fn irqbalance_running(root: &SysRoot) -> bool {
    root.list("/proc")
        .iter()
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .any(|p| root.read(&format!("/proc/{p}/comm")).as_deref() == Some("irqbalance"))
}

/// irqbalance state as a finding.
pub fn irqbalance(root: &SysRoot) -> Finding {
    if irqbalance_running(root) {
        Finding::ok("irqbalance", "running")
    } else {
        Finding::ok("irqbalance", "not running (IRQ placement is static; see the NIC findings)")
    }
}

/// Per physical NIC: rx queues and the CPUs its IRQs landed on.
pub fn nics(root: &SysRoot, cpus: usize) -> Vec<Finding> {
    let interrupts = parse_interrupts(&root.read("/proc/interrupts").unwrap_or_default());
    let balanced = irqbalance_running(root);
    let mut out = Vec::new();
    for iface in root.list("/sys/class/net") {
        let dev_link = root.path(&format!("/sys/class/net/{iface}/device"));
        let Ok(dev_dir) = dev_link.canonicalize() else { continue }; // virtual interface (lo, bridges, ifb)
        let dev = dev_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let queues = root.list(&format!("/sys/class/net/{iface}/queues"));
        let rx = queues.iter().filter(|q| q.starts_with("rx-")).count();
        let irqs: Vec<&IrqLine> =
            interrupts.iter().filter(|l| irq_belongs_to(&l.name, &iface) || irq_belongs_to(&l.name, &dev)).collect();
        let used: BTreeSet<usize> =
            irqs.iter().flat_map(|l| l.counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(cpu, _)| cpu)).collect();
        let name = format!("net.{iface}");
        let detail = format!(
            "{rx} rx queue(s), {} IRQ(s), interrupts seen on CPU(s) {:?} of {cpus}",
            irqs.len(),
            used.iter().collect::<Vec<_>>()
        );
        if cpus > 1 && used.len() <= 1 && !balanced && !irqs.is_empty() {
            let fix = if rx <= 1 {
                format!("single queue NIC: spread receive work with RPS (echo <cpu mask> > /sys/class/net/{iface}/queues/rx-0/rps_cpus) or start irqbalance")
            } else {
                "start irqbalance, or pin each queue IRQ to its own CPU (echo <mask> > /proc/irq/<n>/smp_affinity)"
                    .to_string()
            };
            out.push(Finding::warn(name, format!("{detail}: all network interrupts on one CPU"), fix));
        } else {
            out.push(Finding::ok(name, detail));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::status::Status;

    #[test]
    fn interrupts_parsing_and_matching() {
        let text = "           CPU0       CPU1\n 38:   0  7401 PCI-MSIX  1-edge  virtio2-input.0\n\
                    NMI:  0  0  Non-maskable interrupts\n 40:  3  4  IO-APIC  eth1-TxRx-0\n";
        let v = parse_interrupts(text);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], IrqLine { irq: 38, counts: vec![0, 7401], name: "virtio2-input.0".into() });
        assert!(irq_belongs_to("virtio2-input.0", "virtio2"));
        assert!(!irq_belongs_to("virtio21-input.0", "virtio2"));
        assert!(irq_belongs_to("eth1-TxRx-0", "eth1"));
        assert!(!irq_belongs_to("veth1-x", "eth1"));
    }

    #[test]
    fn single_cpu_irqs_warn_unless_irqbalance() {
        let h = FakeHost::typical();
        let f = nics(&h.root(), 2);
        assert_eq!(f.len(), 1, "lo has no device link: {f:?}");
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].fix.as_ref().unwrap().contains("rps_cpus"));
        assert_eq!(irqbalance(&h.root()).detail, "not running (IRQ placement is static; see the NIC findings)");
        h.file("/proc/4242/comm", "irqbalance");
        assert!(irqbalance_running(&h.root()));
        assert_eq!(nics(&h.root(), 2)[0].status, Status::Ok);
        assert_eq!(nics(&h.root(), 1)[0].status, Status::Ok);
    }
}
