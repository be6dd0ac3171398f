#!/usr/bin/env python3
"""Writes the bundled sample (assets/sample/*): short labelled documents in a 3-level tree.

The texts are composed from hand-written phrases per class, so the sample is the project's
own and deterministic (fixed seed). Run again after editing the phrase lists.
"""
import csv
import json
import os
import random

TREE = {
    "Science/Physics/Optics": ["a convex lens focuses parallel light", "refraction bends the beam at the glass surface",
        "the microscope objective has a short focal length", "laser light is coherent and monochromatic",
        "a prism splits white light into a spectrum", "polarising filters block reflected glare",
        "the telescope mirror was ground to a parabolic shape", "fibre optics guide light by total internal reflection"],
    "Science/Physics/Mechanics": ["the pendulum swings with a fixed period", "friction slows the sliding block",
        "momentum is conserved in the collision", "the spring stores elastic potential energy",
        "torque turns the wheel around its axle", "a projectile follows a parabolic path",
        "the bridge load was spread over two supports", "acceleration grows with the applied force"],
    "Science/Biology/Genetics": ["the gene carries a recessive allele", "DNA replication copies both strands",
        "a mutation changed one base pair", "the chromosome was sequenced end to end",
        "inherited traits follow Mendel's ratios", "CRISPR edits the target sequence",
        "the protein is coded by three exons", "siblings share half of their genome"],
    "Science/Biology/Ecology": ["the wetland supports migrating birds", "predators keep the deer population in check",
        "coral reefs bleach when the water warms", "the forest canopy shades the understory",
        "pollinators visit the flowering meadow", "invasive species crowd out native plants",
        "the food web links plankton to whales", "drought shrank the river habitat"],
    "Technology/Software/Databases": ["the query planner chose an index scan", "a transaction commits or rolls back as a whole",
        "the table was normalised to third normal form", "write-ahead logging protects committed data",
        "the join between orders and customers was slow", "a B-tree index speeds up range queries",
        "replication keeps a standby copy of the database", "the schema migration added a column"],
    "Technology/Software/Security": ["the password hashes use a slow salted function", "a phishing e-mail tried to steal credentials",
        "the patch closes a buffer overflow", "two-factor authentication blocks stolen passwords",
        "the firewall drops unexpected inbound traffic", "certificates prove the server's identity",
        "an audit found an injection flaw in the login form", "least privilege limits what a breach can reach"],
    "Technology/Hardware/Processors": ["the CPU has eight cores and a shared cache", "branch prediction keeps the pipeline full",
        "the clock speed rises under light load", "vector instructions process four floats at once",
        "the chip is built on a five nanometre process", "cache misses stall the execution units",
        "the processor throttles when it runs hot", "simultaneous multithreading doubles the hardware threads"],
    "Technology/Hardware/Storage": ["the SSD wears out after many write cycles", "a RAID mirror survives one failed disk",
        "the hard drive platter spins at seven thousand rpm", "flash memory keeps data without power",
        "the NVMe drive reads three gigabytes per second", "backups go to tape once a week",
        "the file system journals metadata changes", "the disk array was expanded with two drives"],
    "Arts/Music/Jazz": ["the saxophone solo improvised over the changes", "a walking bass line drives the swing",
        "the trio played standards at the club", "bebop tunes race through fast chord changes",
        "the drummer brushed the snare softly", "blue notes colour the melody",
        "the big band horns answered the soloist", "a modal tune stays on one scale for bars"],
    "Arts/Music/Classical": ["the symphony opens with a slow introduction", "the string quartet played Haydn",
        "the conductor kept a steady tempo", "a sonata form returns to the first theme",
        "the orchestra tuned to the oboe's A", "the piano concerto ends with a fast rondo",
        "the choir sang a baroque cantata", "the opera's overture previews its arias"],
    "Arts/Literature/Poetry": ["the sonnet ends with a rhyming couplet", "free verse drops regular metre",
        "the poet uses alliteration in every stanza", "a haiku counts seventeen syllables",
        "the elegy mourns a lost friend", "iambic pentameter gives the line its beat",
        "the ballad tells its story in quatrains", "imagery of the sea runs through the poem"],
    "Arts/Literature/Novels": ["the novel follows three generations of a family", "the narrator is unreliable",
        "the plot twists in the final chapter", "the detective story hides its clue in plain sight",
        "the author wrote the saga in twelve volumes", "the protagonist leaves home to find work",
        "the historical novel is set during the war", "dialogue carries most of the story"],
}
OPENERS = ["In this report,", "Notes from today:", "The summary says", "Our team found that", "As expected,",
           "A reader asked why", "The article explains that", "Field notes:", "Question from the seminar:", ""]
CLOSERS = ["More details follow next week.", "See the attached figures.", "This was discussed at length.",
           "Everyone agreed on the result.", "", "", "The notes were filed for later."]


def make_docs(seed=7, per_class=25):
    rng = random.Random(seed)
    docs = []
    for label, phrases in TREE.items():
        parent = label.rsplit("/", 1)[0]
        siblings = [p for l, ps in TREE.items() if l.startswith(parent) and l != label for p in ps]
        for _ in range(per_class):
            picked = rng.sample(phrases, 2)
            if rng.random() < 0.3:  # a little overlap with a sibling class, as real data has
                picked.append(rng.choice(siblings))
            rng.shuffle(picked)
            text = " ".join(x for x in [rng.choice(OPENERS), "; ".join(picked) + ".", rng.choice(CLOSERS)] if x)
            docs.append((text[0].upper() + text[1:], label))
    rng.shuffle(docs)
    return docs


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets")
    docs = make_docs()
    with open(os.path.join(root, "sample", "feedback.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(docs[:240])
    # The same kind of data as JSON Lines with level fields, to show a second format.
    with open(os.path.join(root, "sample", "more-feedback.jsonl"), "w", encoding="utf-8") as f:
        for text, label in docs[240:]:
            l1, l2, l3 = label.split("/")
            f.write(json.dumps({"text": text, "level1": l1, "level2": l2, "level3": l3}) + "\n")
    # A few unlabelled documents to classify.
    rng = random.Random(11)
    out = os.path.join(root, "sample-documents")
    for i, label in enumerate(["Science/Physics/Optics", "Technology/Software/Databases", "Arts/Music/Jazz"]):
        text = "; ".join(rng.sample(TREE[label], 3)) + "."
        with open(os.path.join(out, "document-%d.txt" % (i + 1)), "w", encoding="utf-8") as f:
            f.write(text[0].upper() + text[1:] + "\n")


if __name__ == "__main__":
    main()
